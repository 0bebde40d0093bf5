"""The benchmark's synthetic province: 480 communes under the 21 districts (level-3 codes
`000.NN.DD.H41`), and four months of incoming and outgoing documents with realistic Vietnamese
abstracts, spread over the province, its 22 departments, 21 districts and the communes."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.folding import folded_words
from core.units import Unit, UnitKind
from documents.dossiers.calendar import default_calendar
from documents.dossiers.deadlines import VN_TIME
from documents.indexing import facet_tokens
from documents.vocabulary import notation_for, type_name

FIRST, LAST = date(2020, 1, 1), date(2020, 4, 30)
COMMUNES = 480
COMMUNE_SUFFIXES = ["Phong", "Thịnh", "Lộc", "Thái", "Hòa", "Sơn", "Xuân", "Trung", "Long", "Mỹ", "Thành", "Tân",
                    "Phú", "An", "Đông", "Tây", "Nam", "Bắc", "Hưng", "Thuận", "Tiến", "Quang", "Minh", "Kim",
                    "Liên", "Đồng", "Hợp", "Nghĩa", "Văn", "Yên"]

ACTIONS = ["triển khai", "tăng cường", "phê duyệt", "ban hành", "kiện toàn", "tổ chức", "đẩy mạnh",
           "hướng dẫn thực hiện", "báo cáo kết quả", "đề nghị hỗ trợ", "góp ý dự thảo", "kiểm tra",
           "chấn chỉnh", "giao chỉ tiêu", "điều chỉnh", "tổng kết", "rà soát", "thành lập đoàn kiểm tra về"]
TOPICS = ["công tác phòng, chống dịch Covid-19", "kế hoạch phát triển kinh tế - xã hội năm 2020",
          "cải cách hành chính", "chuyển đổi số và xây dựng chính quyền điện tử",
          "phòng, chống thiên tai và tìm kiếm cứu nạn", "xây dựng nông thôn mới", "quản lý đất đai",
          "bảo vệ môi trường và xử lý rác thải", "bảo đảm trật tự an toàn giao thông dịp Tết Nguyên đán Canh Tý",
          "giải ngân vốn đầu tư công", "thu ngân sách nhà nước", "tuyển sinh năm học 2020-2021",
          "phòng, chống bệnh dịch tả lợn châu Phi", "Đại hội Đảng bộ các cấp nhiệm kỳ 2020-2025",
          "chi trả trợ cấp cho người có công với cách mạng", "công tác thi đua, khen thưởng",
          "phòng cháy, chữa cháy rừng", "cấp giấy chứng nhận quyền sử dụng đất",
          "hỗ trợ người dân gặp khó khăn do đại dịch Covid-19", "bảo hiểm y tế học sinh, sinh viên",
          "an toàn vệ sinh thực phẩm", "quản lý trật tự xây dựng đô thị", "phát triển du lịch cộng đồng",
          "giảm nghèo bền vững", "tiêm chủng mở rộng", "sắp xếp đơn vị hành chính cấp xã",
          "thực hiện Nghị quyết số 26-NQ/TW của Bộ Chính trị", "ứng dụng công nghệ thông tin trong cơ quan nhà nước",
          "chống buôn lậu, gian lận thương mại", "kiểm soát thủ tục hành chính", "đào tạo nghề cho lao động nông thôn",
          "diễn tập khu vực phòng thủ", "bảo vệ và phát triển rừng", "quyết toán ngân sách năm 2019"]
SIGNERS = [("Nguyễn Đức Trung", "Chủ tịch"), ("Lê Hồng Vinh", "Phó Chủ tịch"), ("Hoàng Nghĩa Hiếu", "Phó Chủ tịch"),
           ("Đinh Viết Hồng", "Phó Chủ tịch"), ("Lê Ngọc Hoa", "Phó Chủ tịch"), ("Trần Văn Hải", "Giám đốc"),
           ("Phan Thị Lan", "Phó Giám đốc"), ("Võ Trọng Phú", "Giám đốc")]
TYPE_WEIGHTS = {"CV": 55, "QĐ": 12, "KH": 6, "TB": 7, "BC": 8, "GM": 6, "TTr": 3, "HD": 2, "CT": 1}
URGENCY_WEIGHTS = {"thuong": 86, "khan": 10, "thuong_khan": 3, "hoa_toc": 1}
IN_STATES = {"received": 3, "registered": 4, "submitted": 5, "directed": 8, "processing": 15, "done": 64,
             "returned": 1}
OUT_STATES = {"issued": 96, "numbered": 2, "signed": 2}
SEARCHES = ["phong chong dich covid", "cai cach hanh chinh", "nong thon moi", "giai ngan von dau tu cong",
            "chuyen doi so", "an toan giao thong tet", "dich ta lon chau phi", "quyet toan ngan sach",
            "tuyen sinh nam hoc", "ho tro nguoi dan gap kho khan", "phong chay chua chay rung",
            "dai hoi dang bo", "thi dua khen thuong", "quan ly dat dai", "ve sinh thuc pham"]


def ensure_communes(session: Session, count: int = COMMUNES) -> list[Unit]:
    """Commune People's Committees under the districts, level-3 codes 000.NN.DD.H41 (NN = commune number)."""
    districts = list(session.execute(select(Unit).where(Unit.kind == UnitKind.district.value)
                                     .order_by(Unit.code)).scalars())
    have = {u.code for u in session.execute(select(Unit).where(Unit.kind == UnitKind.commune.value)).scalars()}
    made = []
    for i in range(count):
        district = districts[i % len(districts)]
        nn = i // len(districts) + 1
        _, _, dd, province = district.code.split(".")
        code = f"000.{nn:02d}.{dd}.{province}"
        if code in have:
            continue
        # Communes of a district often share its first syllable: Nghi Phong (Nghi Lộc), Diễn Thành (Diễn Châu).
        head = district.short_name.removeprefix("TP ").removeprefix("TX ").split()[0]
        name = f"{head} {COMMUNE_SUFFIXES[(nn - 1) % len(COMMUNE_SUFFIXES)]}"
        kind = "phường" if district.short_name.startswith(("TP", "TX")) else "xã"
        unit = Unit(code=code, name=f"Ủy ban nhân dân {kind} {name}", short_name=f"{kind.capitalize()} {name}",
                    abbr="UBND", kind=UnitKind.commune.value, parent_id=district.id)
        session.add(unit)
        made.append(unit)
    session.flush()
    return made


@dataclass
class Issuer:
    id: int
    code: str
    name: str
    abbr: str
    kind: str


def _draw(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    return rng.choices(list(weights), list(weights.values()), k=k)


class DocumentCorpus:
    """Rows for doc_documents and doc_search, generated deterministically, numbered per unit and register.
    Random draws are made in bulk up front (one call per column, not per row) to keep generation fast."""

    def __init__(self, session: Session, incoming: int, outgoing: int, seed: int = 2020) -> None:
        self.rng = random.Random(seed)
        self.numbers: dict[tuple[int, str], int] = {}  # last number per (unit, register), filled by rows()
        self.incoming, self.outgoing = incoming, outgoing
        units = list(session.execute(select(Unit).order_by(Unit.id)).scalars())
        self.units = [Issuer(u.id, u.code, u.name, u.abbr or "UBND", u.kind) for u in units
                      if u.kind in ("province", "department", "district", "commune")]
        # How much of the province's correspondence each kind of unit handles.
        weight = {"province": 400.0, "department": 60.0, "district": 90.0, "commune": 1.0}
        self.weights = [weight[u.kind] for u in self.units]
        cal = default_calendar()
        day, self.days = FIRST, []
        while day <= LAST:
            if cal.is_working_day(day):
                self.days.append(day)
            day += timedelta(days=1)

    def rows(self, start_id: int) -> Iterator[tuple[tuple, tuple]]:
        """(document row, search row) pairs; numbers follow dates within each unit's register."""
        rng, n = self.rng, self.incoming + self.outgoing
        units = rng.choices(range(len(self.units)), self.weights, k=n)
        days = sorted(rng.choices(range(len(self.days)), k=n))
        registers = ["in"] * self.incoming + ["out"] * self.outgoing
        rng.shuffle(registers)
        issuers = rng.choices(range(len(self.units)), self.weights, k=n)
        types, urgencies = _draw(rng, TYPE_WEIGHTS, n), _draw(rng, URGENCY_WEIGHTS, n)
        in_states, out_states = _draw(rng, IN_STATES, n), _draw(rng, OUT_STATES, n)
        actions, topics = rng.choices(ACTIONS, k=n), rng.choices(TOPICS, k=n)
        signers = rng.choices(SIGNERS, k=n)
        minutes = rng.choices(range(7 * 60, 17 * 60 + 30), k=n)
        coins = [rng.random() for _ in range(n)]
        issued_numbers = rng.choices(range(1, 3001), k=n)
        fold = lru_cache(maxsize=None)(folded_words)
        places = [u.name.replace("Ủy ban nhân dân ", "") for u in self.units]
        moments: dict[tuple[int, int], datetime] = {}
        for i in range(n):
            unit_index, register, doc_type = units[i], registers[i], types[i]
            unit, day = self.units[unit_index], self.days[days[i]]
            doc_id = start_id + i
            number = self.numbers.get((unit.id, register), 0) + 1
            self.numbers[(unit.id, register)] = number
            key = (days[i], minutes[i])
            moment = moments.get(key)
            if moment is None:
                moment = moments[key] = datetime.combine(day, time(minutes[i] // 60, minutes[i] % 60),
                                                         VN_TIME).astimezone(UTC)
            urgency, coin = urgencies[i], coins[i]
            confidentiality = "mat" if coin < 0.01 else "thuong"
            signer, position = signers[i]
            if doc_type == "GM":
                pieces = ["Mời dự hội nghị", actions[i], topics[i]]
            elif doc_type == "BC":
                pieces = ["Báo cáo tình hình", topics[i], "quý I năm 2020"]
            elif coin < 0.5:
                pieces = ["V/v", actions[i], topics[i], "trên địa bàn", places[unit_index]]
            else:
                pieces = ["V/v", actions[i], topics[i]]
            abstract = " ".join(pieces)
            if register == "in":
                issuer = self.units[issuers[i]]
                notation = notation_for(doc_type, issuer.abbr, "VX")
                code_number = issued_numbers[i]
                state = in_states[i]
                row = (doc_id, "in", unit.id, 2020, number, "", f"{code_number}/{notation}", doc_type, abstract,
                       issuer.name, issuer.code, issuer.id, signer, position, day - timedelta(days=coin * 4 // 1),
                       moment, None, urgency, confidentiality,
                       day + timedelta(days=10) if state in ("directed", "processing") else None, state, "",
                       moment, moment, "")
            else:
                issuer = unit
                notation = notation_for(doc_type, unit.abbr, "VX")
                code_number = number
                state = out_states[i]
                row = (doc_id, "out", unit.id, 2020, number, notation, f"{number}/{notation}", doc_type, abstract,
                       unit.name, unit.code, unit.id, signer, position, day, None,
                       moment if state == "issued" else None, urgency, confidentiality, None, state,
                       "VX" if doc_type == "CV" else "", moment, moment,
                       "Các sở, ban, ngành; UBND các huyện, thành phố, thị xã")
            # The words of documents.indexing.body_text, folded piece by piece (the pieces repeat a lot).
            body = " ".join(w for w in (str(code_number), fold(notation), fold(type_name(doc_type)),
                                        *map(fold, pieces), fold(issuer.name), fold(signer)) if w)
            # The same arrival/issue dates as the row, so period filters find bench documents by month.
            shape = SimpleNamespace(unit_id=unit.id, register=register, year=2020, doc_type=doc_type, state=state,
                                    urgency=urgency, confidentiality=confidentiality, issuer_unit_id=issuer.id,
                                    received_at=row[15], doc_date=row[14])
            yield row, (doc_id, body, facet_tokens(shape, [unit.id] if register == "in" else [], []))


DOCUMENT_COLUMNS = ("id", "register", "unit_id", "year", "number", "notation", "code", "doc_type", "abstract",
                    "issuer_name", "issuer_code", "issuer_unit_id", "signer_name", "signer_position", "doc_date",
                    "received_at", "issued_at", "urgency", "confidentiality", "deadline", "state", "drafting_unit",
                    "created_at", "updated_at", "recipients_text")
SEARCH_COLUMNS = ("document_id", "body", "facets")

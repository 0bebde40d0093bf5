"""Demo data of the documents area: a few dozen realistic incoming and outgoing documents of the
province in every workflow state (some urgent, one confidential, some overdue, some exchanged with
departments through liên thông), then the dossiers' and minutes' own demo data when they have any.
The local units writing to the province are those of the unit set: districts, or (communes set) the
communes of the same names, which also receive the storm plan in their registers through liên thông.
Idempotent: nothing is added when the registers already hold documents."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.people import User
from core.settings import Settings
from core.unit_sets import UnitSet, local_units
from core.units import Unit
from documents.attachments import attach
from documents.clock import now, today
from documents.creation import create_incoming, create_outgoing
from documents.filestore import FileStore
from documents.models import Document
from documents.samplepdf import text_pdf
from documents.schemas import DirectionIn, IncomingIn, OutgoingIn, RecipientIn
from documents.scope import Viewer
from documents.workflow import apply_action

# (type, number/notation, abstract, issuing body, its code, urgency, how far along: number of steps)
INCOMING = [
    ("CV", "7816/VPCP-KGVX", "V/v triển khai công tác phòng, chống dịch Covid-19 trong tình hình mới",
     "Văn phòng Chính phủ", "000.00.00.G22", "hoa_toc", 5),
    ("QĐ", "1520/QĐ-BYT", "Quyết định ban hành hướng dẫn chẩn đoán và điều trị sốt xuất huyết Dengue",
     "Bộ Y tế", "000.00.00.G16", "khan", 5),
    ("CT", "05/CT-TTg", "Chỉ thị về tăng cường công tác phòng cháy, chữa cháy rừng mùa khô năm 2026",
     "Thủ tướng Chính phủ", "000.00.00.G22", "thuong_khan", 4),
    ("CV", "412/SNN-TL", "V/v chủ động phòng, chống lụt bão và giảm nhẹ thiên tai năm 2026",
     "Sở Nông nghiệp và Phát triển nông thôn", "", "khan", 3),
    ("BC", "88/BC-STC", "Báo cáo tình hình giải ngân vốn đầu tư công 6 tháng đầu năm",
     "Sở Tài chính", "", "thuong", 3),
    ("TTr", "215/TTr-SKHĐT", "Tờ trình phê duyệt chủ trương đầu tư dự án đường ven biển Nghi Sơn - Cửa Lò",
     "Sở Kế hoạch và Đầu tư", "", "thuong", 3),
    ("CV", "1203/SGDĐT-KTKĐ", "V/v tổ chức kỳ thi tốt nghiệp trung học phổ thông năm 2026",
     "Sở Giáo dục và Đào tạo", "", "khan", 3),
    ("KH", "67/KH-UBND", "Kế hoạch triển khai chuyển đổi số trên địa bàn huyện Nghi Lộc năm 2026",
     "UBND huyện Nghi Lộc", "", "thuong", 2),
    ("CV", "356/UBND-VP", "V/v đề nghị hỗ trợ kinh phí khắc phục hậu quả mưa lũ",
     "UBND huyện Tương Dương", "", "thuong_khan", 2),
    ("TB", "145/TB-VPCP", "Thông báo kết luận của Phó Thủ tướng tại buổi làm việc với tỉnh Nghệ An",
     "Văn phòng Chính phủ", "000.00.00.G22", "thuong", 5),
    ("GM", "32/GM-SNV", "Giấy mời dự hội nghị tổng kết công tác cải cách hành chính năm 2025",
     "Sở Nội vụ", "", "thuong", 5),
    ("HD", "09/HD-STP", "Hướng dẫn rà soát, hệ thống hóa văn bản quy phạm pháp luật kỳ 2024-2028",
     "Sở Tư pháp", "", "thuong", 5),
    ("CV", "2241/STNMT-QLĐĐ", "V/v tăng cường quản lý đất đai, xử lý vi phạm lấn chiếm đất công",
     "Sở Tài nguyên và Môi trường", "", "thuong", 4),
    ("BC", "41/BC-CAT", "Báo cáo tình hình an ninh trật tự, an toàn giao thông dịp Tết Nguyên đán",
     "Công an tỉnh Nghệ An", "", "khan", 1),
    ("CV", "518/SCT-QLTM", "V/v bình ổn giá mặt hàng thiết yếu cuối năm", "Sở Công Thương", "", "thuong", 1),
    ("QĐ", "320/QĐ-SYT", "Quyết định kiện toàn Ban chỉ đạo phòng, chống dịch bệnh tỉnh", "Sở Y tế", "", "khan", 0),
    ("CV", "77/SXD-QLCL", "V/v kiểm tra chất lượng công trình trường học trước năm học mới", "Sở Xây dựng", "",
     "thuong", 0),
    ("KH", "12/KH-BCHQS", "Kế hoạch diễn tập khu vực phòng thủ huyện Quỳ Hợp năm 2026",
     "Bộ Chỉ huy Quân sự tỉnh", "", "thuong", 2),
]
STEPS_IN = ["register", "submit", "direct", "start", "complete"]
RETURNED = {"12/KH-BCHQS"}

# (type, drafting unit, abstract, urgency, recipient abbreviations, how far along: number of steps)
OUTGOING = [
    ("QĐ", "", "Quyết định phê duyệt kế hoạch ứng phó bão lũ và tìm kiếm cứu nạn năm 2026", "khan",
     ["SNN", "SGTVT"], 6),
    ("CV", "KGVX", "V/v tăng cường phòng, chống dịch sốt xuất huyết trên địa bàn tỉnh", "thuong_khan",
     ["SYT", "SGDĐT"], 6),
    ("KH", "", "Kế hoạch thực hiện Đề án 06 về phát triển dữ liệu dân cư, định danh điện tử năm 2026", "thuong",
     ["CAT", "STTTT"], 6),
    ("TB", "", "Thông báo kết luận của Chủ tịch UBND tỉnh tại phiên họp giao ban tháng", "thuong", ["SNV"], 5),
    ("CV", "KT", "V/v đẩy nhanh tiến độ giải ngân vốn đầu tư công năm 2026", "khan", ["STC", "SKHĐT"], 4),
    ("QĐ", "", "Quyết định ban hành Quy chế làm việc của Ủy ban nhân dân tỉnh nhiệm kỳ 2026-2031", "thuong",
     ["SNV", "STP"], 3),
    ("CV", "NN", "V/v chủ động phòng, chống hạn hán, xâm nhập mặn vụ Hè Thu", "thuong", ["SNN"], 2),
    ("BC", "", "Báo cáo kết quả thực hiện nhiệm vụ phát triển kinh tế - xã hội quý I", "thuong", ["SKHĐT"], 1),
    ("GM", "", "Giấy mời họp trực tuyến triển khai công tác phòng, chống thiên tai", "hoa_toc", ["SNN", "SXD"], 0),
]
STEPS_OUT = ["review", "submit", "approve", "sign", "number", "issue"]
SPECIALISTS_FOR_VP = "VP"
# The districts the documents name; each has a commune of the same name since 1 July 2025.
LOCALITIES = ("Nghi Lộc", "Tương Dương", "Quỳ Hợp")
MENTION = re.compile(r"huyện (" + "|".join(LOCALITIES) + ")")
LOCAL_RECIPIENTS_OF = "Quyết định phê duyệt kế hoạch ứng phó bão lũ"


def _local(text: str, unit_set: UnitSet) -> str:
    """A district named in the text, as the commune of the same name when the unit set is communes."""
    return text if unit_set is UnitSet.districts else MENTION.sub(r"xã \1", text)


def _person(session: Session, username: str) -> Viewer | None:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    return Viewer.of(session, user) if user is not None else None


def _units(session: Session) -> dict[str, Unit]:
    return {u.abbr: u for u in session.execute(select(Unit).order_by(Unit.id.desc())).scalars() if u.abbr}


def seed(session: Session, settings: Settings) -> list[str]:
    lines = _seed_documents(session, settings)
    for name in ("documents.dossiers.demo", "documents.minutes.demo"):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        lines.extend(module.seed(session, settings))
    return lines


def _seed_documents(session: Session, settings: Settings) -> list[str]:
    if session.execute(select(func.count()).select_from(Document)).scalar_one():
        return []
    clerk, chair = _person(session, "vanthu"), _person(session, "chutoa")
    specialist, secretary = _person(session, "chuyenvien"), _person(session, "thuky")
    if None in (clerk, chair, specialist, secretary):
        return ["demo accounts missing, no demo documents"]
    store = FileStore(settings.files_dir)
    units = _units(session)
    vp = units.get(SPECIALISTS_FOR_VP)
    unit_set = UnitSet(settings.unit_set)
    named = [u for u in local_units(session, unit_set) if u.short_name.removeprefix("Xã ") in LOCALITIES]
    incoming = 0
    for index, (doc_type, code, abstract, issuer, issuer_code, urgency, steps) in enumerate(INCOMING):
        abstract, issuer = _local(abstract, unit_set), _local(issuer, unit_set)
        received = now() - timedelta(days=len(INCOMING) - index, hours=index % 5)
        document = create_incoming(session, clerk, IncomingIn(
            doc_type=doc_type, code=code, abstract=abstract, issuer_name=issuer, issuer_code=issuer_code,
            doc_date=(received - timedelta(days=2)).date(), received_at=received, urgency=urgency,
            confidentiality="mat" if "an ninh" in abstract else "thuong", register_now=False))
        attach(session, store, document, f"{code.replace('/', '-')}.pdf",
               text_pdf([issuer.upper(), f"So: {code}", "", abstract], title=abstract))
        for action in STEPS_IN[:steps]:
            direction = None
            if action == "direct":
                deadline = today() + timedelta(days=(index % 4) * 3 + 1)
                direction = DirectionIn(lead_unit_id=vp.id if vp else document.unit_id, deadline=deadline,
                                        coordinating_unit_ids=[units["SYT"].id] if "dịch" in abstract else [])
            apply_action(session, document.id, action, chair if action == "direct" else (
                specialist if action in ("start", "complete") else clerk), direction=direction, store=store,
                comment="Giao Văn phòng chủ trì tham mưu" if action == "direct" else "")
        if code in RETURNED:
            apply_action(session, document.id, "return", chair, comment="Không thuộc thẩm quyền, trả lại đơn vị")
        if index % 7 == 3 and document.state in ("directed", "processing"):
            document.deadline = today() - timedelta(days=2)  # overdue, for the dashboard
        incoming += 1
    outgoing = 0
    for doc_type, drafting, abstract, urgency, recipients, steps in OUTGOING:
        local = named if unit_set is UnitSet.communes and abstract.startswith(LOCAL_RECIPIENTS_OF) else []
        document = create_outgoing(session, specialist, OutgoingIn(
            doc_type=doc_type, drafting_unit=drafting, abstract=abstract, urgency=urgency,
            recipients=[RecipientIn(unit_id=units[a].id) for a in recipients if a in units]
            + [RecipientIn(unit_id=u.id) for u in local],
            recipients_text="Như trên; Chủ tịch, các PCT UBND tỉnh; Lưu: VT"))
        for action in STEPS_OUT[:steps]:
            actor = {"review": secretary, "submit": specialist, "approve": chair, "sign": chair}.get(action, clerk)
            signed = (f"{doc_type}-ky-so.pdf", text_pdf(["UY BAN NHAN DAN TINH NGHE AN", "", abstract],
                                                        title=abstract)) if action == "sign" else None
            apply_action(session, document.id, action, actor, signed=signed, store=store)
        outgoing += 1
    session.flush()
    received_internal = session.execute(select(func.count()).select_from(Document).where(
        Document.source_document_id.is_not(None))).scalar_one()
    return [f"{incoming} incoming, {outgoing} outgoing, {received_internal} received through liên thông"]

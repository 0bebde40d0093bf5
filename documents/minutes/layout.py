"""The biên bản PDF in the Decree 30 layout (fpdf2, Liberation Serif embedded and subset with a
ToUnicode map so the Vietnamese text extracts as written). Returns where the number and the three
signature boxes are, so that empty form fields can be put there before anyone signs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from documents.minutes.archive_seal import SEAL_LABEL
from documents.minutes.content import MinutesContent
from documents.minutes.source import MinutesSource, UnitAttendance
from documents.minutes.typeface import FAMILY, STYLES, font_file
from documents.minutes.vn_time import clock, duration, spelled

MM_TO_PT = 72 / 25.4
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, RIGHT, TOP, BOTTOM = 30.0, 15.0, 20.0, 20.0
BODY_W = PAGE_W - LEFT - RIGHT
LINE = 6.5  # mm per line of 13 pt text at about 1.3 line spacing
SIG_BOX_W, SIG_BOX_H = 62.0, 28.0
SEAL_D = 36.0  # the seal at its true size, about 36 mm across
NUMBER_BLANK = 16.0


@dataclass(frozen=True)
class Issuer:
    name: str  # "Ủy ban nhân dân tỉnh Nghệ An"
    abbr: str  # "UBND"

    @property
    def heading_lines(self) -> list[str]:
        upper = self.name.upper()
        marker = "NHÂN DÂN "
        if marker in upper:
            head, _, tail = upper.partition(marker)
            return [head + marker.strip(), tail]
        return [upper]

    @property
    def notation(self) -> str:
        return f"BB-{self.abbr}"


@dataclass(frozen=True)
class Box:
    """A rectangle on a page in PDF points, origin bottom-left (as form fields want it)."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (round(self.x0), round(self.y0), round(self.x1), round(self.y1))


@dataclass
class Rendered:
    pdf: bytes
    boxes: dict[str, Box] = field(default_factory=dict)
    pages: int = 0


def _box(page: int, x: float, y: float, w: float, h: float) -> Box:
    return Box(page, x * MM_TO_PT, (PAGE_H - y - h) * MM_TO_PT, (x + w) * MM_TO_PT, (PAGE_H - y) * MM_TO_PT)


class _Doc(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style in STYLES:
            self.add_font(FAMILY, style, str(font_file(style)))
        self.set_margins(LEFT, TOP, RIGHT)
        self.set_auto_page_break(True, BOTTOM)
        self.set_font(FAMILY, "", 13)

    def header(self) -> None:
        # Decree 30: pages from the second on are numbered at the top centre, in Arabic numerals.
        if self.page_no() > 1:
            self.set_xy(LEFT, 10)
            self.set_font(FAMILY, "", 13)
            self.cell(BODY_W, 6, str(self.page_no()), align="C")
            self.set_xy(LEFT, TOP)

    def para(self, text: str, style: str = "", size: float = 13, indent: float = 0.0, align: str = "J") -> None:
        self.set_font(FAMILY, style, size)
        for block in text.splitlines() or [""]:
            self.set_x(LEFT + indent)
            self.multi_cell(BODY_W - indent, LINE, block, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def labelled(self, label: str, text: str) -> None:
        """A bold label followed by its text on the same line, wrapping under the margin."""
        self.set_font(FAMILY, "B", 13)
        self.set_x(LEFT)
        self.write(LINE, label + " ")
        self.set_font(FAMILY, "", 13)
        self.write(LINE, text)
        self.ln(LINE)

    def heading(self, text: str) -> None:
        self.ln(1.5)
        self.para(text, "B")


def _intervals(attendance: UnitAttendance) -> str:
    parts = [f"{clock(i.joined_at)}–{clock(i.left_at) if i.left_at else 'kết thúc'}" for i in attendance.intervals]
    return "; ".join(parts) or "không kết nối"


def _header(doc: _Doc, issuer: Issuer, number: str | None) -> Box:
    left_w, right_x, right_w = 72.0, 98.0, PAGE_W - RIGHT - 98.0
    y0 = TOP
    doc.set_font(FAMILY, "B", 13)
    lines = issuer.heading_lines
    for i, line in enumerate(lines):
        doc.set_xy(LEFT - 8, y0 + i * 6)
        doc.cell(left_w, 6, line, align="C")
    rule_y = y0 + len(lines) * 6 + 0.8
    doc.line(LEFT - 8 + left_w / 3, rule_y, LEFT - 8 + 2 * left_w / 3, rule_y)
    doc.set_font(FAMILY, "", 13)
    prefix, suffix = "Số: ", f"/{issuer.notation}"
    blank = 0.0 if number else NUMBER_BLANK
    shown = number or ""
    total = doc.get_string_width(prefix + shown + suffix) + blank
    x = LEFT - 8 + (left_w - total) / 2
    number_y = rule_y + 3
    doc.set_xy(x, number_y)
    doc.cell(doc.get_string_width(prefix), 6, prefix)
    blank_x = doc.get_x()
    doc.cell(doc.get_string_width(shown) + blank, 6, shown)
    doc.cell(doc.get_string_width(suffix), 6, suffix)
    number_box = _box(doc.page_no() - 1, blank_x, number_y, blank, 6)

    doc.set_font(FAMILY, "B", 12)
    doc.set_xy(right_x, y0)
    doc.cell(right_w, 6, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C")
    doc.set_font(FAMILY, "B", 13)
    motto = "Độc lập - Tự do - Hạnh phúc"
    doc.set_xy(right_x, y0 + 6)
    doc.cell(right_w, 6, motto, align="C")
    width = doc.get_string_width(motto)
    doc.line(right_x + (right_w - width) / 2, y0 + 12.8, right_x + (right_w + width) / 2, y0 + 12.8)
    doc.set_y(number_y + 14)
    return number_box


def _attendance(doc: _Doc, source: MinutesSource) -> None:
    doc.labelled("Thành phần tham dự:", f"{len(source.attendance)} đơn vị tại các điểm cầu, thời gian "
                 "kết nối như sau:")
    if not source.attendance:
        return
    doc.set_font(FAMILY, "", 11.5)
    with doc.table(col_widths=(10, 62, 48, 45), text_align=("CENTER", "LEFT", "LEFT", "LEFT"),
                   line_height=5.2, first_row_as_headings=True, align="LEFT", width=BODY_W) as table:
        head = table.row()
        for title in ("TT", "Đơn vị", "Điểm cầu", "Thời gian tham dự"):
            head.cell(title)
        for i, unit in enumerate(source.attendance, 1):
            row = table.row()
            for value in (str(i), unit.unit_name, unit.endpoint or "—", _intervals(unit)):
                row.cell(value)
    doc.ln(2)
    if source.absent:
        doc.labelled("Vắng mặt:", ", ".join(source.absent) + ".")


def _speaking(doc: _Doc, source: MinutesSource) -> None:
    doc.heading("Ý kiến phát biểu")
    if not source.speaking:
        doc.para("Không có ý kiến phát biểu được ghi nhận.", indent=8)
        return
    doc.set_font(FAMILY, "", 11.5)
    with doc.table(col_widths=(10, 55, 55, 30, 15), text_align=("CENTER", "LEFT", "LEFT", "RIGHT", "CENTER"),
                   line_height=5.2, first_row_as_headings=True, align="LEFT", width=BODY_W) as table:
        head = table.row()
        for title in ("TT", "Người phát biểu", "Đơn vị", "Thời lượng", "Lượt"):
            head.cell(title)
        for i, item in enumerate(sorted(source.speaking, key=lambda s: -s.seconds), 1):
            row = table.row()
            for value in (str(i), item.full_name, item.unit_name or "—", duration(item.seconds), str(item.turns)):
                row.cell(value)
    doc.ln(2)


def _body(doc: _Doc, source: MinutesSource, content: MinutesContent) -> None:
    doc.heading("Nội dung (theo diễn biến cuộc họp):")
    doc.heading("1. Chương trình")
    if source.agenda:
        for i, item in enumerate(source.agenda, 1):
            presenter = f" — trình bày: {item.presenter}" if item.presenter else ""
            doc.para(f"{i}) {item.title}{presenter}", indent=8)
    else:
        doc.para("Không có chương trình được lập trước.", indent=8)
    doc.heading("2. Diễn biến")
    doc.para(content.proceedings or "(Chưa ghi.)", indent=8)
    _speaking(doc, source)
    if source.host_actions:
        doc.heading("Điều hành của chủ tọa")
        for action in source.host_actions:
            detail = f": {action.description}" if action.description else ""
            who = f" ({action.actor})" if action.actor else ""
            doc.para(f"- {clock(action.at)}{who} {action.action}{detail}", indent=8, align="L")
    doc.heading("3. Kết luận")
    doc.para(content.conclusions or "(Chưa ghi.)", indent=8)
    doc.heading("4. Phân công nhiệm vụ")
    if content.assignments:
        for i, task in enumerate(content.assignments, 1):
            deadline = f" Thời hạn: {task.deadline:%d/%m/%Y}." if task.deadline else ""
            doc.para(f"{i}) {task.unit}: {task.task}.{deadline}", indent=8)
    else:
        doc.para("Không có.", indent=8)
    for n, section in enumerate(content.sections, 5):
        doc.heading(f"{n}. {section.heading}")
        doc.para(section.body, indent=8)


def _signatures(doc: _Doc, source: MinutesSource) -> dict[str, Box]:
    needed = 8 + SIG_BOX_H + 20
    if doc.get_y() + needed > PAGE_H - BOTTOM:
        doc.add_page()
    y = doc.get_y() + 4
    col_w = BODY_W / 2
    boxes: dict[str, Box] = {}
    page = doc.page_no() - 1
    for key, label, person, col in (("secretary", "THƯ KÝ", source.secretary, 0),
                                    ("chair", "CHỦ TỌA", source.chair, 1)):
        x = LEFT + col * col_w
        doc.set_font(FAMILY, "B", 13)
        doc.set_xy(x, y)
        doc.cell(col_w, 6, label, align="C")
        box_x = x + (col_w - SIG_BOX_W) / 2
        boxes[key] = _box(page, box_x, y + 7, SIG_BOX_W, SIG_BOX_H)
        doc.set_xy(x, y + 7 + SIG_BOX_H + 1)
        doc.cell(col_w, 6, person.full_name, align="C")
    chair = boxes["chair"]
    # The seal overlaps the left third of the chair's signature, at its true size (Decree 30, Appendix I).
    seal_x1 = chair.x0 / MM_TO_PT + SIG_BOX_W / 3
    seal_y = y + 7 + SIG_BOX_H / 2 - SEAL_D / 2
    boxes["organisation"] = _box(page, seal_x1 - SEAL_D, seal_y, SEAL_D, SEAL_D)
    doc.set_y(y + 7 + SIG_BOX_H + 10)
    return boxes


def _recipients(doc: _Doc, content: MinutesContent) -> None:
    if not content.recipients:
        return
    if doc.get_y() + 12 > PAGE_H - BOTTOM:
        doc.add_page()
    doc.set_font(FAMILY, "BI", 12)
    doc.set_x(LEFT)
    doc.cell(60, 5.5, "Nơi nhận:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FAMILY, "", 11)
    last = len(content.recipients) - 1
    for i, name in enumerate(content.recipients):
        doc.set_x(LEFT)
        doc.multi_cell(80, 5, f"- {name}{'.' if i == last else ';'}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render(source: MinutesSource, content: MinutesContent, issuer: Issuer, number: str | None = None,
           created: datetime | None = None) -> Rendered:
    """The minutes as an unsigned PDF; `number` is printed only for previews of issued minutes. `created`
    (the draft's last change) is written as the creation date, so one version of a draft always gives
    the same bytes: the hash a person authorises in the PIN dialog is the hash of what is signed."""
    doc = _Doc()
    if created is not None:
        doc.set_creation_date(created if created.tzinfo else created.replace(tzinfo=UTC))
    doc.set_title(f"Biên bản: {content.subject}")
    doc.set_author(issuer.name)
    doc.set_creator("giaoban")
    doc.set_lang("vi-VN")
    doc.add_page()
    number_box = _header(doc, issuer, number)
    doc.set_font(FAMILY, "B", 14)
    doc.cell(0, 7, "BIÊN BẢN", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.para(content.subject, "B", 14, align="C")
    rule_y = doc.get_y() + 1
    doc.line(LEFT + BODY_W / 2 - 15, rule_y, LEFT + BODY_W / 2 + 15, rule_y)
    doc.ln(5)
    doc.labelled("Thời gian bắt đầu:", spelled(source.started_at) + ".")
    endpoints = source.endpoints
    listed = f": {', '.join(endpoints)}" if len(endpoints) <= 6 else " (danh sách tại phần thành phần tham dự)"
    place = source.place + (f", kết nối trực tuyến với {len(endpoints)} điểm cầu{listed}" if endpoints else "")
    doc.labelled("Địa điểm:", place + ".")
    _attendance(doc, source)
    chair, secretary = source.chair, source.secretary
    doc.labelled("Chủ trì (chủ tọa):", chair.full_name + (f", {chair.position}" if chair.position else "") + ".")
    doc.labelled("Thư ký (người ghi biên bản):",
                 secretary.full_name + (f", {secretary.position}" if secretary.position else "") + ".")
    _body(doc, source, content)
    doc.ln(2)
    if source.archive_manifest_sha256:
        doc.ln(1)
        doc.para(SEAL_LABEL, "", 11)
        doc.para(source.archive_manifest_sha256, "", 9)
    doc.para(f"Cuộc họp kết thúc vào {spelled(source.ended_at)}./.", "", 13)
    boxes = _signatures(doc, source)
    _recipients(doc, content)
    boxes["number"] = number_box
    return Rendered(bytes(doc.output()), boxes, doc.pages_count)

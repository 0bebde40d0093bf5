"""The fixed vocabularies of official documents (Decree 30/2020): document types and their
abbreviations, urgency and confidentiality levels, and the two registers."""

from __future__ import annotations

from enum import StrEnum

# Abbreviation → (Vietnamese name, English name). Công văn has no abbreviation in its notation.
DOC_TYPES: dict[str, tuple[str, str]] = {
    "NQ": ("Nghị quyết", "Resolution"),
    "QĐ": ("Quyết định", "Decision"),
    "CT": ("Chỉ thị", "Directive"),
    "QC": ("Quy chế", "Regulation"),
    "TB": ("Thông báo", "Notice"),
    "HD": ("Hướng dẫn", "Guidance"),
    "KH": ("Kế hoạch", "Plan"),
    "PA": ("Phương án", "Scheme"),
    "ĐA": ("Đề án", "Project"),
    "BC": ("Báo cáo", "Report"),
    "BB": ("Biên bản", "Minutes"),
    "TTr": ("Tờ trình", "Submission"),
    "HĐ": ("Hợp đồng", "Contract"),
    "GM": ("Giấy mời", "Invitation"),
    "GUQ": ("Giấy ủy quyền", "Authorisation"),
    "CV": ("Công văn", "Official letter"),
}
OFFICIAL_LETTER = "CV"


class Register(StrEnum):
    incoming = "in"  # sổ văn bản đến
    outgoing = "out"  # sổ văn bản đi


class Urgency(StrEnum):
    normal = "thuong"
    urgent = "khan"
    very_urgent = "thuong_khan"
    flash = "hoa_toc"


class Confidentiality(StrEnum):
    normal = "thuong"
    secret = "mat"
    top_secret = "toi_mat"
    absolute = "tuyet_mat"


URGENCY_LABELS: dict[str, tuple[str, str]] = {
    "thuong": ("Thường", "Normal"),
    "khan": ("Khẩn", "Urgent"),
    "thuong_khan": ("Thượng khẩn", "Very urgent"),
    "hoa_toc": ("Hỏa tốc", "Flash"),
}
CONFIDENTIALITY_LABELS: dict[str, tuple[str, str]] = {
    "thuong": ("Thường", "Unclassified"),
    "mat": ("Mật", "Secret"),
    "toi_mat": ("Tối mật", "Top secret"),
    "tuyet_mat": ("Tuyệt mật", "Absolute secret"),
}
# edXML OtherInfo/Priority: 0 thường … 3 hỏa tốc (4, hỏa tốc hẹn giờ, is read as hỏa tốc).
PRIORITY_OF_URGENCY = {"thuong": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}
URGENCY_OF_PRIORITY = {0: "thuong", 1: "khan", 2: "thuong_khan", 3: "hoa_toc", 4: "hoa_toc"}


def is_confidential(level: str) -> bool:
    return level != Confidentiality.normal


def type_name(abbr: str, lang: str = "vi") -> str:
    vi, en = DOC_TYPES.get(abbr, (abbr, abbr))
    return en if lang == "en" else vi


def notation_for(doc_type: str, unit_abbr: str, drafting_unit: str = "") -> str:
    """`QĐ-UBND` for typed documents; `UBND-KT` (issuer, then drafting unit) for công văn."""
    if doc_type == OFFICIAL_LETTER:
        return f"{unit_abbr}-{drafting_unit}" if drafting_unit else unit_abbr
    return f"{doc_type}-{unit_abbr}"


def type_from_notation(notation: str) -> str:
    """The type abbreviation a notation starts with (`QĐ-UBND` → QĐ); công văn otherwise."""
    head = notation.split("-", 1)[0].strip()
    return head if head in DOC_TYPES and head != OFFICIAL_LETTER else OFFICIAL_LETTER

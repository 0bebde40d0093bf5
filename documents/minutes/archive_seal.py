"""The meeting archive's seal in the minutes: the SHA-256 of the recording's manifest is printed in
the PDF before the first signature, so the signatures cover it; the first signature waits while
the archive is still being sealed. And the other way round, for `giaoban archive verify`: the
signed minutes carry that hash and their signatures are intact.

Areas do not import each other: the conference area's `archive_seal(session, meeting_id)` is
connected here at start-up (`web/wiring.py`); it answers (state, manifest SHA-256) or None for a
meeting that was not recorded."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import BytesIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from documents.minutes.models import Minutes

SealProvider = Callable[[Session, int], tuple[str, str | None] | None]
SEAL_LABEL = "Mã niêm phong bản ghi cuộc họp (SHA-256 của bản kê tệp ghi hình, ghi âm):"

_provider: SealProvider | None = None


def connect(provider: SealProvider | None) -> None:
    global _provider
    _provider = provider


def seal_of(session: Session, meeting_id: int) -> tuple[str, str | None] | None:
    return None if _provider is None else _provider(session, meeting_id)


def still_sealing(session: Session, meeting_id: int) -> bool:
    """The meeting is recorded and its archive not sealed yet: signing now would leave the hash out."""
    seal = seal_of(session, meeting_id)
    return seal is not None and seal[0] == "recording"


def manifest_hash(session: Session, meeting_id: int) -> str | None:
    seal = seal_of(session, meeting_id)
    return seal[1] if seal is not None else None


def minutes_problems(session: Session, meeting_id: int, manifest_sha256: str) -> list[str]:
    """What is wrong with the meeting's signed minutes as the archive's seal (empty: nothing)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pypdf import PdfReader

    minutes = session.execute(select(Minutes).where(Minutes.meeting_id == meeting_id)).scalar_one_or_none()
    if minutes is None or minutes.pdf is None:
        return [f"minutes of meeting {meeting_id}: not signed yet"]
    text = "".join(page.extract_text() or "" for page in PdfReader(BytesIO(minutes.pdf)).pages)
    if manifest_sha256 not in re.sub(r"\s+", "", text):
        return [f"minutes {minutes.id}: do not carry the manifest's SHA-256 {manifest_sha256}"]
    reader = PdfFileReader(BytesIO(minutes.pdf), strict=False)
    if not reader.embedded_signatures:
        return [f"minutes {minutes.id}: no signature"]
    context = ValidationContext(allow_fetching=False)
    for signature in reader.embedded_signatures:
        status = validate_pdf_signature(signature, context)
        if not status.intact:
            return [f"minutes {minutes.id}: signature {signature.field_name} is not intact (the PDF changed)"]
    return []

"""What the PIN dialog tells a person before they authorise a signature, as remote-signing apps do: whose
signature, in which role, on which document (title, number) and the hash of the revision being signed.
The page renders it and the dialog asks for it again when opened (GET /api/minutes/{id}/signing), so a
save in between never leaves an old hash on screen; the sign request carries that hash back and the
server signs that revision or nothing (signing_steps.sign)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.i18n import translate
from core.people import User
from core.units import Unit
from documents.minutes import signing_steps
from documents.minutes.models import Minutes
from documents.vocabulary import notation_for


def facts(session: Session, minutes: Minutes, user: User, lang: str) -> dict[str, object]:
    """What the PIN dialog says, as remote-signing apps do: whose signature, in which role, on which
    document (title, number) and the hash being authorised."""
    preview = signing_steps.preview(session, minutes, user)
    if minutes.code:
        number = minutes.code
    elif preview.expected_number is not None:
        unit = session.get(Unit, minutes.unit_id)
        notation = notation_for(signing_steps.DOC_TYPE, (unit.abbr if unit else None) or "UBND")
        number = translate("minutes.number_expected", lang).format(code=f"{preview.expected_number}/{notation}")
    else:
        number = translate("minutes.number_later", lang)
    sha = preview.pdf_sha256
    return {"role": preview.role.value, "full_name": preview.signatory.full_name,
            "position": preview.signatory.position, "organisation": preview.signatory.organisation_name,
            "subject": minutes.subject, "number": number, "sha256": sha, "sha_short": f"{sha[:8]}…{sha[-8:]}"}

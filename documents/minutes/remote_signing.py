"""Signing one revision of the minutes through the CSC signing service with pyHanko's CSCSigner:
PAdES with a timestamp from the service's TSA (B-T) and, when the CA's OCSP/CRL answer, the
validation data in the document security store (B-LT). Visible appearances in the prepared boxes:
name, position and time for a person; the red seal, the organisation's name and the time for the
organisation (Decree 30, Appendix I)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO

from asn1crypto import pem, x509
from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from core.errors import Kind
from core.protocols.csc_client import ClientProblem, Credential, CSCService, SigningRefused, connect
from documents.minutes.form_fields import SIGNATURE_FIELDS, fill_number
from documents.minutes.seal import seal_png
from documents.minutes.stamp_font import StampFont
from documents.minutes.vn_time import signed_at

log = logging.getLogger("giaoban.minutes")
# fontTools reports each table it leaves out of a subset; nothing to act on.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Signatory:
    """The person (or for the organisation's signature, the clerk acting for the unit) whose signature is
    added; named so as not to be confused with pyHanko's `Signer`, the object that makes the signature."""

    username: str
    full_name: str
    position: str
    role: str  # secretary | chair | organisation
    organisation_name: str = ""


@dataclass(frozen=True)
class SignedRevision:
    pdf: bytes
    credential_id: str
    subject: str
    level: str
    signed_at: datetime


def _person_style() -> TextStampStyle:
    return TextStampStyle(
        stamp_text="Ký bởi: %(name)s\n%(position)s\nThời gian ký: %(when)s",
        text_box_style=TextBoxStyle(font=StampFont("", 8),
                                    text_color=(0.05, 0.2, 0.65)),
        border_width=1, border_color=(0.05, 0.2, 0.65),
    )


def _organisation_style() -> TextStampStyle:
    seal = Image.open(BytesIO(seal_png()))
    return TextStampStyle(
        stamp_text="%(name)s\n%(when)s",
        text_box_style=TextBoxStyle(font=StampFont("B", 6),
                                    text_color=(0.1, 0.1, 0.1)),
        background=PdfImage(seal), background_opacity=1.0, border_width=0,
        # Below the star, inside the inner ring of the seal.
        inner_content_layout=SimpleBoxLayoutRule(x_align=AxisAlignment.ALIGN_MID, y_align=AxisAlignment.ALIGN_MIN,
                                                 margins=Margins(left=18, right=18, bottom=30, top=0)),
    )


def _metadata(field_name: str, signatory: Signatory, context: ValidationContext | None) -> signers.PdfSignatureMetadata:
    reason = {"secretary": "Thư ký ký biên bản", "chair": "Chủ tọa ký biên bản",
              "organisation": "Ký số của cơ quan, tổ chức ban hành"}[signatory.role]
    return signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location="Nghệ An", name=signatory.full_name,
        embed_validation_info=context is not None, validation_context=context,
    )


def choose(credentials: list[Credential], *, organisation: bool, username: str) -> Credential:
    """The person's own credential, or for the organisation's signature the unit's (no user id). An enabled
    one first; a locked one is still chosen so that the service itself answers why it cannot sign."""
    matching = []
    for credential in credentials:
        subject = credential.subject
        has_uid = "UID=" in subject or "userid=" in subject.lower()
        personal = f"UID={username}," in subject + "," or f"userid={username}," in subject.lower() + ","
        if (organisation and not has_uid) or (not organisation and personal):
            matching.append(credential)
    if matching:
        return sorted(matching, key=lambda c: not c.enabled)[0]
    what = ("chứng thư số của cơ quan / the organisation's certificate" if organisation
            else "chứng thư số cá nhân / a personal signing certificate")
    raise SigningRefused(Kind.conflict, ClientProblem.no_credential,
                         f"Không tìm thấy {what} usable by {username} on the signing service; ask an administrator "
                         "to enroll one (giaoban signing enroll)")


async def _sign_once(pdf: bytes, service: CSCService, credential_id: str, signatory: Signatory, pin: str,
                     otp: str | None, number: str | None, context: ValidationContext | None) -> bytes:
    csc_signer = await service.signer(credential_id, pin=pin, otp=otp, description="Ký biên bản cuộc họp")
    organisation = signatory.role == "organisation"
    pdf_signer = signers.PdfSigner(
        _metadata(SIGNATURE_FIELDS[signatory.role], signatory, context), signer=csc_signer,
        timestamper=service.timestamper(),
        stamp_style=_organisation_style() if organisation else _person_style(),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    if number is not None:
        fill_number(writer, number)
    params = {"name": signatory.organisation_name if organisation else signatory.full_name,
              "position": signatory.position, "when": signed_at(datetime.now(UTC))}
    out = await pdf_signer.async_sign_pdf(writer, existing_fields_only=True, appearance_text_params=params)
    return out.getvalue()


async def sign_revision(pdf: bytes, *, base_url: str, token: str, pin: str, signatory: Signatory,
                        otp: str | None = None, number: str | None = None) -> SignedRevision:
    """Add `signatory`'s signature (and for the organisation the number) as an incremental update."""
    async with connect(base_url, token=token) as service:
        credential = choose(await service.credentials(), organisation=signatory.role == "organisation",
                            username=signatory.username)
        root = root_certificate(await service.root_pem())
        # hard-fail: B-LT is claimed only when the OCSP/CRL answers were actually obtained and embedded.
        context = ValidationContext(trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail",
                                    fetcher_backend=AIOHttpFetcherBackend(service.http, per_request_timeout=10))
        level = "B-LT"
        try:
            signed = await _sign_once(pdf, service, credential.id, signatory, pin, otp, number, context)
        except SigningRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            refused = service.errors.refusal()
            if refused is not None:
                raise refused from exc
            # The signature itself was never requested: revocation data could not be gathered. Sign B-T.
            log.warning("B-LT not reachable (%s: %s); signing PAdES B-T", exc.__class__.__name__, exc)
            level = "B-T"
            try:
                signed = await _sign_once(pdf, service, credential.id, signatory, pin, otp, number, None)
            except SigningRefused:
                raise
            except Exception as again:  # noqa: BLE001
                raise (service.errors.refusal() or SigningRefused(
                    Kind.upstream_failed, ClientProblem.signing_failed,
                    f"Không ký được / signing failed: {again}")) from again
    return SignedRevision(signed, credential.id, credential.subject, level, datetime.now(UTC))


def root_certificate(data: bytes) -> x509.Certificate:
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)

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

import aiohttp
from asn1crypto import pem, x509
from PIL import Image
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.layout import AxisAlignment, Margins, SimpleBoxLayoutRule
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.csc_signer import CSCServiceSessionInfo, CSCSigner, fetch_certs_in_csc_credential
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from documents.minutes.csc_client import (
    ClientProblem,
    CSCSession,
    ErrorBodies,
    PinAuthorization,
    SigningRefused,
    refusal_from,
    unreachable,
)
from documents.minutes.form_fields import SIGNATURE_FIELDS, fill_number
from documents.minutes.seal import seal_png
from documents.minutes.stamp_font import StampFont
from documents.minutes.vn_time import iso

log = logging.getLogger("giaoban.minutes")
# fontTools reports each table it leaves out of a subset; nothing to act on.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Signer:
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


def _metadata(field_name: str, signer: Signer, context: ValidationContext | None) -> signers.PdfSignatureMetadata:
    reason = {"secretary": "Thư ký ký biên bản", "chair": "Chủ tọa ký biên bản",
              "organisation": "Ký số của cơ quan, tổ chức ban hành"}[signer.role]
    return signers.PdfSignatureMetadata(
        field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location="Nghệ An", name=signer.full_name,
        embed_validation_info=context is not None, validation_context=context,
    )


async def _sign_once(pdf: bytes, csc: CSCSession, credential_id: str, signer: Signer, pin: str, otp: str | None,
                     number: str | None, context: ValidationContext | None) -> bytes:
    session_info = CSCServiceSessionInfo(csc.base_url, credential_id, oauth_token=csc.token)
    try:
        credential_info = await fetch_certs_in_csc_credential(csc.http, session_info)
    except SigningError as exc:
        raise refusal_from(csc.errors.last_status or 502, csc.errors.last) from exc
    manager = PinAuthorization(session_info, credential_info, csc, pin, otp)
    csc_signer = CSCSigner(csc.http, manager)
    organisation = signer.role == "organisation"
    pdf_signer = signers.PdfSigner(
        _metadata(SIGNATURE_FIELDS[signer.role], signer, context), signer=csc_signer,
        timestamper=HTTPTimeStamper(f"{csc.base_url}/pki/tsa", headers=csc.headers),
        stamp_style=_organisation_style() if organisation else _person_style(),
    )
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    if number is not None:
        fill_number(writer, number)
    params = {"name": signer.organisation_name if organisation else signer.full_name,
              "position": signer.position, "when": iso(datetime.now(UTC))}
    out = await pdf_signer.async_sign_pdf(writer, existing_fields_only=True, appearance_text_params=params)
    return out.getvalue()


async def sign_revision(pdf: bytes, *, base_url: str, token: str, pin: str, signer: Signer,
                        otp: str | None = None, number: str | None = None) -> SignedRevision:
    """Add `signer`'s signature (and for the organisation the number) as an incremental update."""
    errors = ErrorBodies()
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, middlewares=(errors.middleware,)) as http:
        csc = CSCSession(http, base_url, token, errors)
        credential = await csc.choose(signer.role == "organisation", signer.username)
        root = root_certificate(await csc.root_pem())
        # hard-fail: B-LT is claimed only when the OCSP/CRL answers were actually obtained and embedded.
        context = ValidationContext(trust_roots=[root], allow_fetching=True, revocation_mode="hard-fail",
                                    fetcher_backend=AIOHttpFetcherBackend(http, per_request_timeout=10))
        level = "B-LT"
        try:
            signed = await _sign_once(pdf, csc, credential["id"], signer, pin, otp, number, context)
        except SigningRefused:
            raise
        except Exception as exc:  # noqa: BLE001 - classified below
            refused = _service_refusal(errors, exc)
            if refused is not None:
                raise refused from exc
            # The signature itself was never requested: revocation data could not be gathered. Sign B-T.
            log.warning("B-LT not reachable (%s: %s); signing PAdES B-T", exc.__class__.__name__, exc)
            level = "B-T"
            try:
                signed = await _sign_once(pdf, csc, credential["id"], signer, pin, otp, number, None)
            except SigningRefused:
                raise
            except Exception as again:  # noqa: BLE001
                refused = _service_refusal(errors, again)
                if refused is not None:
                    raise refused from again
                raise SigningRefused(502, ClientProblem.signing_failed,
                                     f"Không ký được / signing failed: {again}") from again
    return SignedRevision(signed, credential["id"], credential["subject"], level, datetime.now(UTC))


def _service_refusal(errors: ErrorBodies, exc: BaseException) -> SigningRefused | None:
    """A refusal by the CSC service (its body captured on the way) or the service out of reach; None when
    only gathering revocation data failed (OCSP/CRL fetches are not signing calls)."""
    if errors.last is not None or errors.last_status:
        return refusal_from(errors.last_status, errors.last)
    if errors.unreachable is not None:
        return unreachable(errors.unreachable)
    return None


def root_certificate(data: bytes) -> x509.Certificate:
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return x509.Certificate.load(data)

"""Validating the signatures of any uploaded PDF with pyHanko, trusting the province's root (fetched
from the signing service's public /pki/root.pem): integrity, trust path, timestamp, what changed after
each signature, and an overall verdict a person can read.

The uploaded PDF is opened and validated in a worker process (documents.inspection) with a time limit.
Validation fetches nothing a file names: only the province CA's own OCSP, CRL and certificate addresses
(under the signing service's `/pki/`) may be fetched; any other address in a certificate is refused
without a connection, so an uploaded file cannot make the server reach into the network."""

from __future__ import annotations

import asyncio
from io import BytesIO
from typing import Any

import aiohttp
from asn1crypto import x509
from pyhanko.pdf_utils.misc import PdfReadError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from core.errors import DomainError, Kind
from core.protocols.csc_client import ClientProblem, SigningRefused, unreachable
from documents.minutes.remote_signing import root_certificate

MAX_BYTES = 30 * 1024 * 1024


class VerifyRejected(DomainError):
    """An upload whose signatures cannot be checked (none, too large, not a PDF, damaged, encrypted)."""


async def _root(http: aiohttp.ClientSession, base_url: str) -> x509.Certificate:
    # Fetched for every check, not cached: the root is small, and a reinstalled CA must be seen at once.
    try:
        async with http.get(f"{base_url.rstrip('/')}/pki/root.pem") as response:
            if response.status != 200:
                raise SigningRefused(Kind.upstream_failed, ClientProblem.no_root,
                                     "the signing service did not give the province's root")
            return root_certificate(await response.read())
    except aiohttp.ClientError as exc:
        raise unreachable(exc) from exc


def open_pdf(data: bytes) -> PdfFileReader:
    if not data:
        raise VerifyRejected(Kind.bad_request,
                             "Chưa có tệp / no file was uploaded: send a PDF as the `file` form field")
    if len(data) > MAX_BYTES:
        raise VerifyRejected(Kind.too_large, f"Tệp quá lớn / the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    if b"%PDF-" not in data[:1024]:  # readers accept up to 1 KiB before the header
        raise VerifyRejected(Kind.invalid, "Tệp không phải PDF / the file is not a PDF (it does not start with %PDF-)")
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        encrypted = reader.encrypted
        if not encrypted:
            _ = reader.root, reader.embedded_signatures
    except RecursionError as exc:
        raise VerifyRejected(Kind.invalid, "Tệp PDF bị hỏng: các đối tượng lồng nhau quá sâu / the PDF is damaged: "
                             "its objects are nested too deeply to read") from exc
    except (PdfReadError, ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise VerifyRejected(Kind.invalid, f"Tệp PDF bị hỏng, không đọc được / the PDF is damaged and cannot be read "
                             f"({str(exc)[:200]})") from exc
    if encrypted:
        raise VerifyRejected(Kind.invalid,
                             "Tệp PDF được mã hóa / the PDF is encrypted: signatures can be checked only on an "
                             "unencrypted copy")
    return reader


def _describe(status: Any, name: str) -> dict[str, Any]:
    cert = status.signing_cert
    timestamp = status.timestamp_validity
    level = status.modification_level.name if status.modification_level is not None else None
    verdict = "valid" if status.bottom_line else ("damaged" if not status.intact else "not_trusted"
                                                  if not status.trusted else "invalid")
    return {
        "field": name,
        "signer": cert.subject.native.get("common_name") if cert is not None else None,
        "subject": cert.subject.human_friendly if cert is not None else None,
        "signing_time": status.signer_reported_dt.isoformat() if status.signer_reported_dt else None,
        "timestamp": timestamp.timestamp.isoformat() if timestamp is not None else None,
        "timestamp_valid": bool(timestamp.valid and timestamp.intact) if timestamp is not None else None,
        "intact": bool(status.intact), "valid": bool(status.valid), "trusted": bool(status.trusted),
        "coverage": status.coverage.name if status.coverage is not None else None,
        "modifications": level, "docmdp_ok": status.docmdp_ok,
        "verdict": verdict, "ok": bool(status.bottom_line),
        "summary": status.summary(),
    }


def _only_from(prefixes: list[str]) -> aiohttp.TraceConfig:
    """Refuse, before connecting, every request outside the allowed address prefixes."""
    async def check(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        url = str(params.url)
        if not any(url.startswith(p) for p in prefixes):
            raise aiohttp.ClientConnectionError(f"not fetched: {url[:200]} is not the province CA's address")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(check)
    return trace


async def _validate(reader: PdfFileReader, base_url: str, fetch_from: list[str]) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as service:
        root = await _root(service, base_url)  # the signing service itself, not an address the file names
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30),
                                     trace_configs=[_only_from(fetch_from)]) as http:
        results = []
        for signature in reader.embedded_signatures:
            context = ValidationContext(trust_roots=[root], allow_fetching=bool(fetch_from),
                                        fetcher_backend=AIOHttpFetcherBackend(http, per_request_timeout=5))
            try:
                status = await async_validate_pdf_signature(signature, context)
            except Exception as exc:  # noqa: BLE001 - a signature that cannot be checked is reported as such
                results.append({"field": signature.field_name, "verdict": "damaged", "ok": False, "intact": False,
                                "summary": f"Không kiểm tra được chữ ký / the signature cannot be checked: "
                                           f"{str(exc)[:300]}"})
                continue
            results.append(_describe(status, signature.field_name))
        return results


def validate(data: bytes, base_url: str, fetch_from: list[str]) -> dict[str, Any]:
    """Worker side: the report on every signature of `data`, trusting the province's root."""
    reader = open_pdf(data)
    try:
        signatures = asyncio.run(_validate(reader, base_url, fetch_from))
        return {"signatures": signatures, "count": len(signatures),
                "all_valid": bool(signatures) and all(s["ok"] for s in signatures),
                "revisions": reader.xrefs.total_revisions,
                # Validation data in the document security store: the signatures stay checkable long-term (B-LT).
                "ltv": "/DSS" in reader.root}
    except RecursionError as exc:
        raise VerifyRejected(Kind.invalid, "Tệp PDF bị hỏng: các đối tượng lồng nhau quá sâu / the PDF is damaged: its "
                             "objects are nested too deeply to read") from exc


def verify(data: bytes, base_url: str) -> dict[str, Any]:
    from documents import inspection
    from documents.filecheck import FileRejected

    if not data:
        open_pdf(data)  # the refusal for an empty upload, without starting any work
    if len(data) > MAX_BYTES:
        raise VerifyRejected(Kind.too_large, f"Tệp quá lớn / the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    try:
        return inspection.run("PDF", validate, data, base_url, [f"{base_url.rstrip('/')}/pki/"])
    except FileRejected as exc:
        raise VerifyRejected(exc.kind, exc.message) from exc

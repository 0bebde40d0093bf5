"""Helpers for the signing tests: sign a PDF through the service with pyHanko's CSCSigner (the one CSC client,
core.protocols.csc_client), validate."""

from __future__ import annotations

import subprocess
from io import BytesIO
from pathlib import Path

import aiohttp
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend

from core.protocols.csc_client import connect

DEMO_PASSWORD = "giaoban-demo"


def validation_context(root_pem: Path, http: aiohttp.ClientSession,
                       revocation_mode: str = "soft-fail") -> ValidationContext:
    """Trust only the exported provincial root; OCSP/CRL fetched from the service over `http`."""
    return ValidationContext(trust_roots=[load_cert_from_pemder(str(root_pem))], allow_fetching=True,
                             revocation_mode=revocation_mode,
                             fetcher_backend=AIOHttpFetcherBackend(session=http))


async def sign_pdf(base_url: str, username: str, credential_id: str, pin: str, pdf: bytes, *,
                   field_name: str = "Signature1", root_pem: Path | None = None) -> bytes:
    """PAdES B-T through the service (B-LT with the CA's revocation data when `root_pem` is given)."""
    async with connect(base_url) as service:
        service = await service.login(username, DEMO_PASSWORD)
        signer = await service.signer(credential_id, pin=pin)
        meta = signers.PdfSignatureMetadata(
            field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256",
            embed_validation_info=root_pem is not None,
            validation_context=validation_context(root_pem, service.http) if root_pem else None,
        )
        pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=service.timestamper())
        out = await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)))
        return out.getvalue()


async def validate(pdf: bytes, root_pem: Path, revocation_mode: str = "soft-fail") -> list:  # type: ignore[type-arg]
    reader = PdfFileReader(BytesIO(pdf))
    async with aiohttp.ClientSession() as http:
        return [await async_validate_pdf_signature(sig, validation_context(root_pem, http, revocation_mode))
                for sig in reader.embedded_signatures]


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout


async def sign_batch(base_url: str, username: str, credential_id: str, pin: str, pdfs: list[bytes]) -> list[bytes]:
    """Sign several PDFs with one authorisation and one signHash call (CSCSigner batching)."""
    import asyncio

    async with connect(base_url) as service:
        service = await service.login(username, DEMO_PASSWORD)
        signer = await service.signer(credential_id, pin=pin, batch_size=len(pdfs))
        stamper = service.timestamper()

        async def one(pdf: bytes) -> bytes:
            meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES)
            pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=stamper)
            return (await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)))).getvalue()

        return list(await asyncio.gather(*(one(pdf) for pdf in pdfs)))

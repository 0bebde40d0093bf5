"""Public PKI endpoints of the provincial CA (/pki/...): CA certificates, CRLs and the OCSP responder,
which validators fetch without logging in, and the RFC 3161 timestamp endpoint (bearer token)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from signing.caller import Caller
from signing.errors import bad_request
from signing.models import IssuedCertificate, aware
from signing.requests_ctx import current_caller
from signing.revocation import CertStatus, crl, ocsp_response
from signing.tsa import rfc3161_response

router = APIRouter(prefix="/pki")

_CERT = "application/pkix-cert"


@router.get("/root.cer")
def root_cert(request: Request) -> Response:
    return Response(request.app.state.ca.root.cert.public_bytes(serialization.Encoding.DER), media_type=_CERT)


@router.get("/root.pem")
def root_pem(request: Request) -> Response:
    return Response(request.app.state.ca.root.cert.public_bytes(serialization.Encoding.PEM),
                    media_type="application/x-pem-file")


@router.get("/issuing.cer")
def issuing_cert(request: Request) -> Response:
    return Response(request.app.state.ca.issuing.cert.public_bytes(serialization.Encoding.DER), media_type=_CERT)


@router.get("/root.crl")
def root_crl(request: Request) -> Response:
    # The root has only ever certified the issuing CA, which is not revoked.
    return Response(crl(request.app.state.ca.root, [], 1), media_type="application/pkix-crl")


@router.get("/issuing.crl")
def issuing_crl(request: Request) -> Response:
    with request.app.state.read_sessions() as session:
        rows = session.execute(select(IssuedCertificate.serial, IssuedCertificate.revoked_at)
                               .where(IssuedCertificate.revoked_at.is_not(None))).all()
    revoked = [(int(serial, 16), aware(when)) for serial, when in rows]
    number = int(datetime.now(UTC).timestamp())
    return Response(crl(request.app.state.ca.issuing, revoked, number), media_type="application/pkix-crl")


def _answer_ocsp(request: Request, der: bytes) -> Response:
    state = request.app.state
    service_certs = state.ca.service_certificates()

    def lookup(serial: int) -> CertStatus:
        if serial in service_certs:
            return CertStatus(known=True)
        with state.read_sessions() as session:
            row = session.get(IssuedCertificate, format(serial, "x"))
        if row is None:
            return CertStatus(known=False)
        return CertStatus(known=True, revoked_at=aware(row.revoked_at) if row.revoked_at else None)

    return Response(ocsp_response(state.ca, der, lookup), media_type="application/ocsp-response")


@router.post("/ocsp")
async def ocsp_post(request: Request) -> Response:
    der = await request.body()
    return await run_in_threadpool(_answer_ocsp, request, der)


@router.get("/ocsp/{encoded:path}")
def ocsp_get(encoded: str, request: Request) -> Response:
    try:
        der = base64.b64decode(encoded, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise bad_request("OCSP GET request must be base64") from exc
    return _answer_ocsp(request, der)


@router.post("/tsa")
async def tsa(request: Request, caller: Caller = Depends(current_caller)) -> Response:
    """RFC 3161 over HTTP (application/timestamp-query), e.g. for pyHanko's HTTPTimeStamper."""
    der = await request.body()
    answer = await run_in_threadpool(rfc3161_response, request.app.state.ca, der)
    return Response(answer, media_type="application/timestamp-reply")

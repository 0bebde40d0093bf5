"""OCSP responses and CRLs for certificates the provincial CA issued."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from signing.ca import Authority, ProvincialCA


@dataclass(frozen=True)
class CertStatus:
    known: bool
    revoked_at: dt.datetime | None = None


StatusLookup = Callable[[int], CertStatus]


def _key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    # The issuer key hash covers the subjectPublicKey BIT STRING contents, not the whole SPKI.
    bits = keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]
    digest = hashes.Hash(algorithm)
    digest.update(bits)
    return digest.finalize()


def ocsp_response(ca: ProvincialCA, request_der: bytes, lookup: StatusLookup) -> bytes:
    """Answer an OCSP request for certificates issued by the issuing CA (signed by the responder)."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
    except ValueError:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.MALFORMED_REQUEST).public_bytes(serialization.Encoding.DER)
    now = dt.datetime.now(dt.UTC)
    algorithm = request.hash_algorithm
    builder = ocsp.OCSPResponseBuilder()
    if request.issuer_key_hash != _key_hash(ca.issuing.cert, algorithm):
        return ocsp.OCSPResponseBuilder.build_unsuccessful(
            ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(serialization.Encoding.DER)
    status = lookup(request.serial_number)
    if not status.known:
        cert_status, revoked_at = ocsp.OCSPCertStatus.UNKNOWN, None
    elif status.revoked_at is not None:
        cert_status, revoked_at = ocsp.OCSPCertStatus.REVOKED, status.revoked_at
    else:
        cert_status, revoked_at = ocsp.OCSPCertStatus.GOOD, None
    builder = builder.add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number, algorithm=algorithm, cert_status=cert_status,
        this_update=now - dt.timedelta(minutes=1), next_update=now + dt.timedelta(hours=1),
        revocation_time=revoked_at,
        revocation_reason=x509.ReasonFlags.unspecified if revoked_at else None,
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, ca.ocsp.cert).certificates([ca.ocsp.cert])
    try:
        nonce = request.extensions.get_extension_for_class(x509.OCSPNonce)
        builder = builder.add_extension(nonce.value, critical=False)
    except x509.ExtensionNotFound:
        pass
    return builder.sign(ca.ocsp.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def crl(issuer: Authority, revoked: list[tuple[int, dt.datetime]], number: int) -> bytes:
    """A DER CRL from `issuer` listing `revoked` (serial, time) pairs, valid for one day."""
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - dt.timedelta(minutes=1))
        .next_update(now + dt.timedelta(days=1))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                       critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

"""RFC 3161 timestamp authority signing with the provincial CA's TSA certificate."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from signing.ca import ProvincialCA

# A UUID-derived OID (ITU-T X.667, arc 2.25): unique without registration, fitting a demo TSA policy.
TSA_POLICY = "2.25.223937798330369362903635077937918938469"


class TimestampRequestError(ValueError):
    """The request cannot be answered (bad encoding or unsupported digest)."""


_IMPRINT_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}


def _to_asn1(cert) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def timestamp_token(ca: ProvincialCA, digest_algorithm: str, digest: bytes, nonce: int | None) -> cms.ContentInfo:
    """Sign a TSTInfo over `digest` and return the timestamp token (a CMS SignedData)."""
    if _IMPRINT_SIZES.get(digest_algorithm) != len(digest):
        raise TimestampRequestError("message imprint must be a sha256/sha384/sha512 digest of the right length")
    tsa_cert = _to_asn1(ca.tsa.cert)
    tst_fields = {
        "version": "v1",
        "policy": TSA_POLICY,
        "message_imprint": tsp.MessageImprint({
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": digest_algorithm}),
            "hashed_message": digest,
        }),
        "serial_number": secrets.randbits(63),
        "gen_time": dt.datetime.now(dt.UTC).replace(microsecond=0),
        "accuracy": {"seconds": 1},
        "tsa": asn1_x509.GeneralName(name="directory_name", value=tsa_cert.subject),
    }
    if nonce is not None:
        tst_fields["nonce"] = nonce
    tst_info = tsp.TSTInfo(tst_fields)
    content = tst_info.dump()
    signed_attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["tst_info"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": tst_fields["gen_time"]})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
        cms.CMSAttribute({"type": "signing_certificate_v2", "values": [{
            "certs": [{
                "cert_hash": hashlib.sha256(tsa_cert.dump()).digest(),
                "issuer_serial": {
                    "issuer": [asn1_x509.GeneralName(name="directory_name", value=tsa_cert.issuer)],
                    "serial_number": tsa_cert.serial_number,
                },
            }]
        }]}),
    ])
    key = ca.tsa.key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(signed_attrs.dump(), padding.PKCS1v15(), hashes.SHA256())
        sig_algo = "sha256_rsa"
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        sig_algo = "sha256_ecdsa"
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number}}),
        "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
        "signed_attrs": signed_attrs,
        "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": sig_algo}),
        "signature": signature,
    })
    signed_data = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
        "encap_content_info": {"content_type": "tst_info", "content": tst_info},
        "certificates": [tsa_cert, _to_asn1(ca.issuing.cert)],
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data})


def rfc3161_response(ca: ProvincialCA, request_der: bytes) -> bytes:
    """Answer a DER TimeStampReq with a DER TimeStampResp (rejections are in-band, per RFC 3161)."""
    try:
        request = tsp.TimeStampReq.load(request_der)
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        digest = imprint["hashed_message"].native
        nonce = request["nonce"].native
        token = timestamp_token(ca, algorithm, digest, nonce)
    except (ValueError, TypeError, KeyError) as exc:
        return tsp.TimeStampResp({
            "status": {"status": "rejection", "status_string": [str(exc)[:200]],
                       "fail_info": tsp.PKIFailureInfo({"bad_data_format"})},
        }).dump()
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


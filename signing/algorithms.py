"""Digest and signature algorithm identifiers accepted by the CSC endpoints."""

from __future__ import annotations

from dataclasses import dataclass

from asn1crypto import algos, core
from cryptography.hazmat.primitives import hashes

DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "2.16.840.1.101.3.4.2.1": hashes.SHA256,
    "2.16.840.1.101.3.4.2.2": hashes.SHA384,
    "2.16.840.1.101.3.4.2.3": hashes.SHA512,
}

DIGEST_NAMES = {"2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
                "2.16.840.1.101.3.4.2.3": "sha512"}


@dataclass(frozen=True)
class SignatureAlgorithm:
    oid: str
    key_kind: str  # "rsa" or "ec"
    digest_oid: str


# Full signature OIDs: pyHanko refuses a credential that lists only rsaEncryption.
SIGNATURE_ALGORITHMS: dict[str, SignatureAlgorithm] = {
    a.oid: a
    for a in (
        SignatureAlgorithm("1.2.840.113549.1.1.11", "rsa", "2.16.840.1.101.3.4.2.1"),
        SignatureAlgorithm("1.2.840.113549.1.1.12", "rsa", "2.16.840.1.101.3.4.2.2"),
        SignatureAlgorithm("1.2.840.113549.1.1.13", "rsa", "2.16.840.1.101.3.4.2.3"),
        SignatureAlgorithm("1.2.840.10045.4.3.2", "ec", "2.16.840.1.101.3.4.2.1"),
        SignatureAlgorithm("1.2.840.10045.4.3.3", "ec", "2.16.840.1.101.3.4.2.2"),
        SignatureAlgorithm("1.2.840.10045.4.3.4", "ec", "2.16.840.1.101.3.4.2.3"),
    )
}

# Key-type OIDs some CSC clients send as signAlgo together with a separate hashAlgo.
KEY_TYPE_OIDS = {"1.2.840.113549.1.1.1": "rsa", "1.2.840.10045.2.1": "ec"}


def algorithms_for(key_kind: str) -> list[str]:
    return [a.oid for a in SIGNATURE_ALGORITHMS.values() if a.key_kind == key_kind]


def digest_size(digest_oid: str) -> int:
    return DIGESTS[digest_oid].digest_size


def digest_info(digest_oid: str, digest: bytes) -> bytes:
    """DER DigestInfo, what RSA PKCS#1 v1.5 signs (mechanism CKM_RSA_PKCS on a token)."""
    return algos.DigestInfo(
        {
            "digest_algorithm": algos.DigestAlgorithm(
                {"algorithm": DIGEST_NAMES[digest_oid], "parameters": core.Null()}
            ),
            "digest": digest,
        }
    ).dump()

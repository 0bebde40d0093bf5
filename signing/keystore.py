"""The key-store interface: where private keys live and the one thing they do, sign a digest.

Private keys never leave a store: callers get an opaque reference and the public key, and
ask the store to sign a digest. PINs are checked by the credential layer before a store
is ever asked to sign (see `signing.pins`).
"""

from __future__ import annotations

from typing import Protocol

KEY_SPECS = ("rsa-2048", "rsa-3072", "ec-p256", "ec-p384")


class KeyStoreError(Exception):
    """The store could not complete the operation (missing key, token unavailable)."""


def key_kind(key_spec: str) -> str:
    if key_spec not in KEY_SPECS:
        raise ValueError(f"unknown key type {key_spec!r}; use one of {', '.join(KEY_SPECS)}")
    return key_spec.split("-", 1)[0]


class KeyStore(Protocol):
    """One backend holding private keys."""

    kind: str  # "pkcs12" or "pkcs11", recorded on each credential

    def generate(self, ref: str, key_spec: str) -> bytes:
        """Create a key pair under `ref`; return the public key as DER SubjectPublicKeyInfo."""
        ...

    def sign_digest(self, ref: str, key_spec: str, digest_oid: str, digest: bytes) -> bytes:
        """Sign a precomputed digest: PKCS#1 v1.5 for RSA, DER-encoded ECDSA for EC."""
        ...

    def delete(self, ref: str) -> None:
        ...

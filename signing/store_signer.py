"""A pyHanko Signer that signs in-process with a key-store key (the benchmark's local baseline and
for processes that hold the store themselves); the key still never leaves the store."""

from __future__ import annotations

import hashlib

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from signing.keystore import KeyStore, key_kind


class StoreSigner(Signer):
    def __init__(self, store: KeyStore, key_ref: str, key_spec: str, cert: asn1_x509.Certificate,
                 chain: list[asn1_x509.Certificate]) -> None:
        self.store = store
        self.key_ref = key_ref
        self.key_spec = key_spec
        super().__init__(signing_cert=cert, cert_registry=SimpleCertificateStore.from_certs(chain))

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            # Upper bound of the encoded signature: RSA modulus size, or a DER ECDSA pair.
            return bytes(512 if key_kind(self.key_spec) == "rsa" else 140)
        digest = hashlib.new(digest_algorithm, data).digest()
        return self.store.sign_digest(self.key_ref, self.key_spec, algos.DigestAlgorithmId(digest_algorithm).dotted,
                                      digest)

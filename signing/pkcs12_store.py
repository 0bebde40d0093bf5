"""The embedded default key store: one encrypted PKCS#12 file per key under var/signing/keys/."""

from __future__ import annotations

import hashlib
import hmac
import threading
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from signing.algorithms import DIGESTS
from signing.keystore import KeyStoreError, key_kind

_CURVES = {"ec-p256": ec.SECP256R1, "ec-p384": ec.SECP384R1}


class Pkcs12KeyStore:
    """Keys encrypted with AES-256 (PBES2) under a per-key password derived from the store secret.

    Decrypted keys are cached in this process only, so signing does not pay the KDF each time.
    """

    kind = "pkcs12"

    def __init__(self, directory: Path, secret: str) -> None:
        self.directory = directory
        self._secret = secret.encode()
        self._cache: dict[str, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey] = {}
        self._lock = threading.Lock()

    def _path(self, ref: str) -> Path:
        if not ref.replace("-", "").isalnum():
            raise KeyStoreError(f"invalid key reference {ref!r}")
        return self.directory / f"{ref}.p12"

    def _password(self, ref: str) -> bytes:
        return hmac.new(self._secret, b"giaoban-signing-p12:" + ref.encode(), hashlib.sha256).hexdigest().encode()

    def generate(self, ref: str, key_spec: str) -> bytes:
        kind = key_kind(key_spec)
        if kind == "rsa":
            key = rsa.generate_private_key(65537, int(key_spec.split("-")[1]))
        else:
            key = ec.generate_private_key(_CURVES[key_spec]())
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(100_000)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(self._password(ref))
        )
        blob = pkcs12.serialize_key_and_certificates(ref.encode(), key, None, None, encryption)
        path = self._path(ref)
        if path.exists():
            raise KeyStoreError(f"key {ref} already exists")
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(blob)
        tmp.chmod(0o600)
        tmp.replace(path)
        return key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def _load(self, ref: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
        with self._lock:
            key = self._cache.get(ref)
            if key is not None:
                return key
            path = self._path(ref)
            if not path.exists():
                raise KeyStoreError(f"key {ref} is not in the PKCS#12 store")
            key, _cert, _cas = pkcs12.load_key_and_certificates(path.read_bytes(), self._password(ref))
            if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
                raise KeyStoreError(f"key {ref} has an unsupported type")
            self._cache[ref] = key
            return key

    def sign_digest(self, ref: str, key_spec: str, digest_oid: str, digest: bytes) -> bytes:
        key = self._load(ref)
        prehashed = utils.Prehashed(DIGESTS[digest_oid]())
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(digest, padding.PKCS1v15(), prehashed)
        return key.sign(digest, ec.ECDSA(prehashed))

    def delete(self, ref: str) -> None:
        with self._lock:
            self._cache.pop(ref, None)
        self._path(ref).unlink(missing_ok=True)

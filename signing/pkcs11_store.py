"""Key store on a PKCS#11 token (an HSM in production, SoftHSM2 in tests).

Keys are generated on the token as sensitive, non-extractable objects labelled with the
credential's key reference; the service logs in once with the token's user PIN.
"""

from __future__ import annotations

import threading

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_ecdsa_signature, encode_named_curve_parameters

from signing.algorithms import digest_info
from signing.keystore import KeyStoreError, key_kind

_CURVES = {"ec-p256": "secp256r1", "ec-p384": "secp384r1"}


class Pkcs11KeyStore:
    kind = "pkcs11"

    def __init__(self, module: str, token_label: str, user_pin: str) -> None:
        self.module = module
        self.token_label = token_label
        self._user_pin = user_pin
        self._session: pkcs11.Session | None = None
        # One logged-in session shared by all threads; PKCS#11 sessions are not thread-safe.
        self._lock = threading.Lock()

    def _open(self) -> pkcs11.Session:
        if self._session is None:
            try:
                token = pkcs11.lib(self.module).get_token(token_label=self.token_label)
                try:
                    self._session = token.open(user_pin=self._user_pin, rw=True)
                except pkcs11.UserAlreadyLoggedIn:
                    # Login is per process on PKCS#11: another store object here already logged in.
                    self._session = token.open(rw=True)
            except (pkcs11.PKCS11Error, RuntimeError, OSError) as exc:
                raise KeyStoreError(f"PKCS#11 token {self.token_label!r} unavailable: {exc!r}") from exc
        return self._session

    def generate(self, ref: str, key_spec: str) -> bytes:
        kind = key_kind(key_spec)
        private_template = {Attribute.SENSITIVE: True, Attribute.EXTRACTABLE: False}
        with self._lock:
            session = self._open()
            if list(session.get_objects({Attribute.LABEL: ref, Attribute.CLASS: ObjectClass.PRIVATE_KEY})):
                raise KeyStoreError(f"key {ref} already exists on the token")
            if kind == "rsa":
                public, _private = session.generate_keypair(
                    KeyType.RSA, int(key_spec.split("-")[1]), label=ref, id=ref.encode(), store=True,
                    private_template=private_template,
                )
                numbers = rsa.RSAPublicNumbers(
                    int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                    int.from_bytes(public[Attribute.MODULUS], "big"),
                )
                return numbers.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            params = session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(_CURVES[key_spec])}, local=True
            )
            public, _private = params.generate_keypair(
                label=ref, id=ref.encode(), store=True, private_template=private_template
            )
            return encode_ec_public_key(public)

    def sign_digest(self, ref: str, key_spec: str, digest_oid: str, digest: bytes) -> bytes:
        with self._lock:
            session = self._open()
            try:
                key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=ref)
            except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as exc:
                raise KeyStoreError(f"key {ref} not found on token {self.token_label!r}") from exc
            if key_kind(key_spec) == "rsa":
                return key.sign(digest_info(digest_oid, digest), mechanism=Mechanism.RSA_PKCS)
            return encode_ecdsa_signature(key.sign(digest, mechanism=Mechanism.ECDSA))

    def delete(self, ref: str) -> None:
        with self._lock:
            session = self._open()
            for obj in list(session.get_objects({Attribute.LABEL: ref})):
                obj.destroy()

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

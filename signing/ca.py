"""The provincial demo CA: root, issuing CA, OCSP responder and timestamp-authority certificates.

Created on first start under var/signing/ca/ (private keys as encrypted PKCS#8, the password
derived from the deployment secret). The revocation and CA-certificate URLs written into every
certificate point at the signing service itself, so validators can fetch them on loopback.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from signing.config import SigningConfig, service_url, signing_dir

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_ROLES = ("root", "issuing", "ocsp", "tsa")
_lock = threading.Lock()


@dataclass(frozen=True)
class Authority:
    cert: x509.Certificate
    key: PrivateKey


@dataclass(frozen=True)
class ProvincialCA:
    root: Authority
    issuing: Authority
    ocsp: Authority
    tsa: Authority
    base_url: str
    organisation: str

    @property
    def chain(self) -> list[x509.Certificate]:
        """Certificates above an end-entity certificate, nearest first."""
        return [self.issuing.cert, self.root.cert]

    def service_certificates(self) -> dict[int, x509.Certificate]:
        """Certificates the CA issued to its own services, by serial (for OCSP/CRL answers)."""
        return {a.cert.serial_number: a.cert for a in (self.issuing, self.ocsp, self.tsa)}

    def issue_signing_certificate(
        self,
        public_key_der: bytes,
        *,
        common_name: str,
        username: str | None,
        title: str | None = None,
        unit: str | None = None,
        days: int = 730,
    ) -> x509.Certificate:
        attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
                 x509.NameAttribute(NameOID.LOCALITY_NAME, "Nghệ An"),
                 x509.NameAttribute(NameOID.ORGANIZATION_NAME, self.organisation)]
        if unit:
            attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit[:64]))
        if title:
            attrs.append(x509.NameAttribute(NameOID.TITLE, title[:64]))
        if username:
            attrs.append(x509.NameAttribute(NameOID.USER_ID, username))
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64]))
        public_key = serialization.load_der_public_key(public_key_der)
        builder = _builder(x509.Name(attrs), self.issuing, public_key, days)
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(_key_usage(signing=True), critical=True)
        builder = self._with_revocation_pointers(builder)
        return builder.sign(self.issuing.key, hashes.SHA256())

    def _with_revocation_pointers(self, builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                       x509.UniformResourceIdentifier(f"{self.base_url}/pki/ocsp")),
                x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                       x509.UniformResourceIdentifier(f"{self.base_url}/pki/issuing.cer")),
            ]),
            critical=False,
        )
        return builder.add_extension(_crl_points(f"{self.base_url}/pki/issuing.crl"), critical=False)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _key_usage(*, signing: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing, content_commitment=signing, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )


def _crl_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([
        x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
    ])


def _builder(subject: x509.Name, issuer: Authority | None, public_key: Any, days: int,
             subject_key: PrivateKey | None = None) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    signer_public = issuer.key.public_key() if issuer else public_key
    return builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_public), critical=False
    )


def _create(base_url: str, organisation: str) -> ProvincialCA:
    root_key = rsa.generate_private_key(65537, 3072)
    root_subject = _name(f"CA gốc thử nghiệm - {organisation}", organisation)
    root_cert = (
        _builder(root_subject, None, root_key.public_key(), 7300)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    root = Authority(root_cert, root_key)

    issuing_key = rsa.generate_private_key(65537, 3072)
    issuing_cert = (
        _builder(_name(f"CA cấp chứng thư thử nghiệm - {organisation}", organisation), root,
                 issuing_key.public_key(), 3650)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(_crl_points(f"{base_url}/pki/root.crl"), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    issuing = Authority(issuing_cert, issuing_key)

    def service(cn: str, eku: x509.ObjectIdentifier, *extra: x509.ExtensionType) -> Authority:
        key = rsa.generate_private_key(65537, 2048)
        builder = (
            _builder(_name(cn, organisation), issuing, key.public_key(), 1825)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(signing=True), critical=True)
            .add_extension(x509.ExtendedKeyUsage([eku]), critical=True)
        )
        for ext in extra:
            builder = builder.add_extension(ext, critical=False)
        return Authority(builder.sign(issuing_key, hashes.SHA256()), key)

    ocsp = service(f"OCSP thử nghiệm - {organisation}", ExtendedKeyUsageOID.OCSP_SIGNING, x509.OCSPNoCheck())
    tsa = service(f"Dấu thời gian thử nghiệm - {organisation}", ExtendedKeyUsageOID.TIME_STAMPING,
                  _crl_points(f"{base_url}/pki/issuing.crl"))
    return ProvincialCA(root, issuing, ocsp, tsa, base_url, organisation)


def _password(settings: Any) -> bytes:
    return hmac.new(str(settings.secret_key).encode(), b"giaoban-signing-ca", hashlib.sha256).hexdigest().encode()


def _save(ca: ProvincialCA, directory: Path, password: bytes) -> None:
    staging = directory.with_name(directory.name + f".tmp-{secrets.token_hex(4)}")
    staging.mkdir(parents=True)
    for role in _ROLES:
        authority: Authority = getattr(ca, role)
        (staging / f"{role}.pem").write_bytes(authority.cert.public_bytes(serialization.Encoding.PEM))
        key_path = staging / f"{role}.key"
        key_path.write_bytes(authority.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(password),
        ))
        key_path.chmod(0o600)
    (staging / "ca.json").write_text(json.dumps({"base_url": ca.base_url, "organisation": ca.organisation}))
    try:
        staging.rename(directory)
    except OSError:
        # Another process created the CA first; use theirs.
        shutil.rmtree(staging)


def _load(directory: Path, password: bytes) -> ProvincialCA:
    meta = json.loads((directory / "ca.json").read_text())
    parts = {}
    for role in _ROLES:
        cert = x509.load_pem_x509_certificate((directory / f"{role}.pem").read_bytes())
        key = serialization.load_pem_private_key((directory / f"{role}.key").read_bytes(), password)
        assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
        parts[role] = Authority(cert, key)
    return ProvincialCA(base_url=meta["base_url"], organisation=meta["organisation"], **parts)


_cache: dict[Path, ProvincialCA] = {}


def ensure_ca(settings: Any) -> ProvincialCA:
    """Load the provincial demo CA, creating it on first use (idempotent, safe to call often)."""
    directory = signing_dir(settings) / "ca"
    with _lock:
        if directory in _cache:
            return _cache[directory]
        password = _password(settings)
        if not (directory / "ca.json").exists():
            directory.parent.mkdir(parents=True, exist_ok=True)
            directory.parent.chmod(0o700)
            _save(_create(service_url(settings), SigningConfig().ca_common_name), directory, password)
        ca = _load(directory, password)
        _cache[directory] = ca
        return ca


def root_pem(settings: Any) -> bytes:
    return ensure_ca(settings).root.cert.public_bytes(serialization.Encoding.PEM)

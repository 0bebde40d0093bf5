"""pyHanko's own CSCSigner signs PDFs through the running service; pyHanko and pdfsig both validate."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import engine_for, session_factory, session_scope
from core.errors import Kind
from core.protocols.csc import CSCReason
from core.protocols.csc_client import SigningRefused, connect
from signing.credential_admin import revoke_credential
from signing.enrollment import enroll
from signing.sample_pdf import two_page_pdf
from tests.signing.conftest import PIN, SigningEnv
from tests.signing.signing_helpers import DEMO_PASSWORD, pdfsig, sign_batch, sign_pdf, validate


def audit_actions(env: SigningEnv, action: str) -> list[dict]:  # type: ignore[type-arg]
    with session_factory(engine_for(env.settings.database_url))() as session:
        rows = session.execute(select(AuditEntry.detail).where(AuditEntry.action == action).order_by(AuditEntry.seq))
        return [json.loads(detail) for detail in rows.scalars()]


async def test_secretary_signs_and_chair_cosigns_pades_bt(signing_env: SigningEnv, tmp_path: Path) -> None:
    env = signing_env
    once = await sign_pdf(env.base_url, "thuky", env.credentials["thuky"], PIN, two_page_pdf(),
                          field_name="ThuKy")
    twice = await sign_pdf(env.base_url, "chutoa", env.credentials["chutoa"], PIN, once, field_name="ChuToa")
    statuses = await validate(twice, env.root_pem)
    assert len(statuses) == 2
    for status in statuses:
        assert status.bottom_line, status.pretty_print_details()
        assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert statuses[0].signing_cert.subject.native["common_name"] == "Trần Thị Bình"
    assert statuses[1].signing_cert.public_key.algorithm == "ec"
    report = pdfsig(twice, tmp_path)
    assert report.count("Signature Validation: Signature is Valid.") == 2, report


async def test_tampered_byte_is_reported_by_both_validators(signing_env: SigningEnv, tmp_path: Path) -> None:
    env = signing_env
    signed = bytearray(await sign_pdf(env.base_url, "thuky", env.credentials["thuky"], PIN, two_page_pdf()))
    position = signed.index(b"Noi dung dong 7")
    signed[position] = ord("X")
    (status,) = await validate(bytes(signed), env.root_pem)
    assert not status.intact and not status.bottom_line
    assert "Digest Mismatch." in pdfsig(bytes(signed), tmp_path)


async def test_pkcs11_token_keys_sign_rsa_and_ecdsa(signing_env: SigningEnv, tmp_path: Path) -> None:
    env = signing_env
    once = await sign_pdf(env.base_url, "thuky", env.credentials["thuky_hsm"], PIN, two_page_pdf(),
                          field_name="ThuKy")
    twice = await sign_pdf(env.base_url, "chutoa", env.credentials["chutoa_hsm"], PIN, once, field_name="ChuToa")
    statuses = await validate(twice, env.root_pem)
    assert [s.bottom_line for s in statuses] == [True, True]
    assert [s.signing_cert.public_key.algorithm for s in statuses] == ["rsa", "ec"]
    assert pdfsig(twice, tmp_path).count("Signature is Valid.") == 2


async def test_batch_of_two_documents_with_one_authorisation(signing_env: SigningEnv) -> None:
    env = signing_env
    before = len(audit_actions(env, "signing.authorized"))
    signed = await sign_batch(env.base_url, "chutoa", env.credentials["chutoa"], PIN,
                              [two_page_pdf("Van ban A"), two_page_pdf("Van ban B")])
    for pdf in signed:
        (status,) = await validate(pdf, env.root_pem)
        assert status.bottom_line
    authorisations = audit_actions(env, "signing.authorized")[before:]
    assert len(authorisations) == 1 and len(authorisations[0]["hashes"]) == 2


async def test_long_term_validation_data_comes_from_the_service(signing_env: SigningEnv) -> None:
    env = signing_env
    signed = await sign_pdf(env.base_url, "thuky", env.credentials["thuky"], PIN, two_page_pdf(),
                            root_pem=env.root_pem)
    reader = PdfFileReader(BytesIO(signed))
    dss = reader.root["/DSS"]
    assert len(dss["/OCSPs"]) >= 1 and len(dss["/Certs"]) >= 3
    (status,) = await validate(signed, env.root_pem)
    assert status.bottom_line


async def test_keys_on_the_token_are_not_extractable(signing_env: SigningEnv) -> None:
    import pkcs11
    from pkcs11 import Attribute, ObjectClass

    config = signing_env.config
    token = pkcs11.lib(config.pkcs11_module).get_token(token_label=config.pkcs11_token)
    credential = signing_env.credentials["thuky_hsm"]
    # The service in this process is logged in to the token already (PKCS#11 login is per process).
    with token.open() as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, label=credential)
        assert key[Attribute.SENSITIVE] and not key[Attribute.EXTRACTABLE]
        with pytest.raises(pkcs11.AttributeSensitive):
            key[Attribute.PRIVATE_EXPONENT]
    assert not list((signing_env.settings.var_dir / "signing" / "keys").glob(f"{credential}*"))


async def test_revoked_certificate_shows_in_ocsp_and_stops_signing(signing_env: SigningEnv) -> None:
    env = signing_env
    factory = session_factory(engine_for(env.settings.database_url), write=True)
    with session_scope(factory) as session:
        credential = enroll(session, env.settings, "motcua", PIN).credential_id
    signed = await sign_pdf(env.base_url, "motcua", credential, PIN, two_page_pdf())
    (status,) = await validate(signed, env.root_pem, revocation_mode="hard-fail")
    assert status.bottom_line and not status.revoked
    with session_scope(factory) as session:
        revoke_credential(session, env.settings, credential, actor="admin")
    (status,) = await validate(signed, env.root_pem, revocation_mode="hard-fail")
    assert status.revoked and not status.bottom_line
    with pytest.raises(SigningRefused) as refused:
        await sign_pdf(env.base_url, "motcua", credential, PIN, two_page_pdf())
    assert refused.value.reason == CSCReason.disabled


async def test_wrong_password_is_the_services_refusal(signing_env: SigningEnv) -> None:
    async with connect(signing_env.base_url) as service:
        with pytest.raises(SigningRefused) as refused:
            await service.login("chutoa", "not-the-password")
    assert refused.value.reason == CSCReason.bad_credentials and "mật khẩu" in refused.value.message


async def test_wrong_pin_through_pyhanko_reports_the_services_answer(signing_env: SigningEnv) -> None:
    env = signing_env
    async with connect(env.base_url) as service:
        service = await service.login("chutoa", DEMO_PASSWORD)
        signer = await service.signer(env.credentials["chutoa"], pin="000000")
        meta = signers.PdfSignatureMetadata(field_name="ChuToa", subfilter=fields.SigSeedSubFilter.PADES)
        pdf = two_page_pdf()
        with pytest.raises(SigningRefused) as refused:
            await signers.PdfSigner(meta, signer=signer).async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)))
    # pyHanko lets the typed refusal through: the service's reason code, and its words for the person.
    assert refused.value.reason == CSCReason.wrong_pin and refused.value.kind == Kind.bad_request
    assert "4 attempt(s) left" in refused.value.message
    # The failed attempt is forgotten after a correct PIN.
    await sign_pdf(env.base_url, "chutoa", env.credentials["chutoa"], PIN, pdf)

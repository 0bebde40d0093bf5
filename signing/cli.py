"""`giaoban signing ...`: serve the CSC API, enroll people, export the root, unlock credentials;
and `bench_signing` for `giaoban bench signing`."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Dịch vụ ký số (CSC API) / the shared signing service", no_args_is_help=True)


def _settings(**overrides: object):  # type: ignore[no-untyped-def]
    from core.settings import Settings, get_settings

    return Settings(**overrides) if overrides else get_settings()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default: settings' signing_host)")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default: settings' signing_port)")] = None,
) -> None:
    """Serve CSC API v1 at /csc/v1/ and the provincial CA's OCSP/CRL/TSA at /pki/."""
    from signing.service import run

    overrides = {k: v for k, v in (("signing_host", host), ("signing_port", port)) if v is not None}
    settings = _settings(**overrides)
    typer.echo(f"signing service on http://{settings.signing_host}:{settings.signing_port} "
               f"(certificates point at {settings.signing_url})")
    run(settings)


@app.command()
def enroll(
    username: Annotated[str, typer.Argument(help="giaoban username, or a unit code with --unit")],
    key: Annotated[str, typer.Option(help="rsa-2048, rsa-3072, ec-p256 or ec-p384")] = "rsa-2048",
    store: Annotated[str, typer.Option(help="pkcs12 (embedded) or pkcs11 (token)")] = "pkcs12",
    unit: Annotated[bool, typer.Option("--unit", help="USERNAME is a unit code: the organisation's key")] = False,
    otp: Annotated[bool, typer.Option("--otp", help="also require a TOTP code when authorising")] = False,
) -> None:
    """Issue a signing key and certificate; PIN from GIAOBAN_SIGNING_PIN or a prompt."""
    from core.db import engine_for, session_factory, session_scope
    from signing.enrollment import EnrollmentError, enroll_unit
    from signing.enrollment import enroll as do_enroll

    pin = os.environ.get("GIAOBAN_SIGNING_PIN") or typer.prompt("PIN", hide_input=True, confirmation_prompt=True)
    settings = _settings()
    try:
        with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
            if unit:
                done = enroll_unit(session, settings, username, pin, key_spec=key, store=store, actor="cli")
            else:
                done = do_enroll(session, settings, username, pin, key_spec=key, store=store, with_otp=otp,
                                 actor="cli")
    except EnrollmentError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"credentialID: {done.credential_id}")
    if done.totp_secret:
        typer.echo(f"TOTP secret (base32, add to an authenticator app): {done.totp_secret}")
    typer.echo(done.cert_pem)


@app.command("export-ca")
def export_ca(path: Annotated[Path, typer.Argument(help="Where to write the root certificate (PEM)")]) -> None:
    """Write the provincial root certificate, to be trusted by validators."""
    from signing.ca import root_pem

    path.write_bytes(root_pem(_settings()))
    typer.echo(f"root certificate written to {path}")


@app.command()
def unlock(credential_id: Annotated[str, typer.Argument(help="credentialID locked after wrong PINs")]) -> None:
    """Unlock a credential locked after too many wrong PINs (administrator)."""
    from signing.credential_admin import unlock_credential

    _change_credential(unlock_credential, credential_id, "unlocked")


@app.command()
def revoke(credential_id: Annotated[str, typer.Argument(help="credentialID to disable for good")]) -> None:
    """Revoke a credential's certificate (e.g. a lost or compromised key); OCSP and the CRL show it."""
    from signing.credential_admin import revoke_credential

    _change_credential(revoke_credential, credential_id, "revoked")


def _change_credential(change: Callable[..., object], credential_id: str, done: str) -> None:
    """One administrative change to a credential, in one write transaction, audited as the shell user."""
    from core.db import engine_for, session_factory, session_scope
    from signing.errors import CSCError

    settings = _settings()
    try:
        with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
            change(session, settings, credential_id, actor=os.environ.get("USER", "cli"))
    except CSCError as exc:
        typer.echo(f"error: {exc.description}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"credential {credential_id} {done}")


def bench_signing(
    seconds: Annotated[int, typer.Option(help="Measuring time (local and remote signatures alternate)")] = 30,
    json: Annotated[Path, typer.Option(help="Where to write the figures")] = Path("var/bench/signing.json"),
) -> None:
    """Sign a two-page PDF through the service over HTTP (pyHanko CSCSigner, PAdES B-T) vs in-process."""
    import json as json_module

    from signing.bench import run_bench

    figures = run_bench(seconds)
    json.parent.mkdir(parents=True, exist_ok=True)
    json.write_text(json_module.dumps(figures, indent=2))
    typer.echo(json_module.dumps(figures, indent=2))


if __name__ == "__main__":
    app()

"""The signing benchmark: a two-page PDF signed PAdES B-T through the service over HTTP with pyHanko's
CSCSigner, against pyHanko signing in-process with the same key (the limit), in one run.

It runs on a scratch installation (temporary var dir and SQLite database) with the service in its
own process, so the figures do not depend on, or disturb, a running deployment.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from core.protocols.csc_client import connect
from signing.sample_pdf import two_page_pdf

BENCH_USER = "bench-signer"
PASSWORD = "bench-" + secrets.token_hex(8)
PIN = "135792"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(env: dict[str, str]) -> tuple[Any, str]:
    """Migrate and seed the scratch database, enroll the bench signer; returns (settings, credential)."""
    from core.db import engine_for, session_factory, session_scope
    from core.migrate import upgrade
    from core.people import Role
    from core.province import create_user
    from core.settings import Settings
    from signing.enrollment import enroll

    settings = Settings(var_dir=Path(env["GIAOBAN_VAR_DIR"]), database_url=env["GIAOBAN_DATABASE_URL"],
                        secret_key=env["GIAOBAN_SECRET_KEY"], signing_port=int(env["GIAOBAN_SIGNING_PORT"]))
    upgrade(settings.database_url, [Path(__file__).parent / "migrations" / "versions"])
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
        create_user(session, username=BENCH_USER, role=Role.secretary, password=PASSWORD,
                    full_name="Người ký thử nghiệm", position="Thư ký")
        credential = enroll(session, settings, BENCH_USER, PIN).credential_id
    engine_for(settings.database_url).dispose()
    return settings, credential


def _start_service(env: dict[str, str], base_url: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "signing.cli", "serve"], env=env,
                               cwd=Path(__file__).resolve().parent.parent)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", int(base_url.rsplit(":", 1)[1])), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("signing service exited during start-up") from None
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError("signing service did not start within 60 s")


async def _sign(pdf: bytes, signer: signers.Signer, stamper: Any) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name="Signature1", subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256")
    pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=stamper)
    return (await pdf_signer.async_sign_pdf(IncrementalPdfFileWriter(BytesIO(pdf)))).getvalue()


async def _measure(seconds: float, pdf: bytes, local: signers.Signer, remote: signers.Signer,
                   stamper: Any) -> tuple[list[float], list[float]]:
    """Alternate local and remote signatures, one at a time, so that a busy machine slows both alike."""
    for signer in (local, remote):
        await _sign(pdf, signer, stamper)  # warm-up: connections, key cache
    timings: tuple[list[float], list[float]] = ([], [])
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for signer, latencies in zip((local, remote), timings, strict=True):
            started = time.perf_counter()
            await _sign(pdf, signer, stamper)
            latencies.append(time.perf_counter() - started)
    return timings


async def _phases(settings: Any, credential: str, base_url: str, seconds: float) -> dict[str, Any]:
    from core.db import engine_for, session_factory
    from signing.ca import ensure_ca
    from signing.config import SigningConfig
    from signing.models import SigningCredential
    from signing.store_registry import KeyStores
    from signing.store_signer import StoreSigner

    pdf = two_page_pdf("Bien ban hop - do hieu nang")
    with session_factory(engine_for(settings.database_url))() as session:
        row = session.get(SigningCredential, credential)
        assert row is not None
        cert_der, key_spec, key_ref, store_kind = row.cert_der, row.key_spec, row.key_ref, row.store
    ca = ensure_ca(settings)
    chain = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in ca.chain]
    stores = KeyStores(settings, SigningConfig())
    local_signer = StoreSigner(stores.get(store_kind), key_ref, key_spec, asn1_x509.Certificate.load(cert_der), chain)
    async with connect(base_url) as service:
        service = await service.login(BENCH_USER, PASSWORD)
        stamper = service.timestamper()
        remote_signer = await service.signer(credential, pin=PIN)
        load_before = os.getloadavg()[0]
        local, remote = await _measure(seconds, pdf, local_signer, remote_signer, stamper)
        load_after = os.getloadavg()[0]
    stores.close()
    ordered = sorted(remote)
    return {
        "signatures": len(remote),
        "signatures_per_s": round(len(remote) / sum(remote), 2),
        "latency_ms_p50": round(statistics.median(ordered) * 1000, 1),
        "latency_ms_p99": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        "level": "PAdES-B-T",
        "local_signatures": len(local),
        "local_signatures_per_s": round(len(local) / sum(local), 2),
        "local_latency_ms_p50": round(statistics.median(local) * 1000, 1),
        "key": key_spec,
        "store": store_kind,
        "client": "core.protocols.csc_client: pyHanko's CSCSigner over HTTP (authorize + signHash per signature)",
        "timestamps": "RFC 3161 from the service's TSA over HTTP (both runs)",
        "method": "local and remote signatures alternate one at a time for the whole run",
        "load_average_1m": [round(load_before, 2), round(load_after, 2)],
        "cpus": os.cpu_count(),
    }


def run_bench(seconds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="giaoban-bench-signing-") as scratch:
        port = _free_port()
        env = dict(os.environ)
        env.update({
            "GIAOBAN_VAR_DIR": str(Path(scratch) / "var"),
            "GIAOBAN_DATABASE_URL": f"sqlite:///{Path(scratch) / 'bench.db'}",
            "GIAOBAN_SECRET_KEY": secrets.token_urlsafe(32),
            "GIAOBAN_SIGNING_HOST": "127.0.0.1",
            "GIAOBAN_SIGNING_PORT": str(port),
            "GIAOBAN_SIGNING_URL": f"http://127.0.0.1:{port}",
        })
        settings, credential = _prepare(env)
        base_url = f"http://127.0.0.1:{port}"
        service = _start_service(env, base_url)
        try:
            figures = asyncio.run(_phases(settings, credential, base_url, float(seconds)))
        finally:
            service.terminate()
            service.wait(15)
        figures["remote_vs_local"] = round(figures["signatures_per_s"] / figures["local_signatures_per_s"], 2)
        return figures

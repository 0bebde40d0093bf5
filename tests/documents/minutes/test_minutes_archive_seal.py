"""The meeting archive sealed by the signed minutes: the first signature waits while the archive is
being sealed; once sealed, the draft prints the manifest's SHA-256 and the secretary's signature
covers it; `giaoban archive verify` then passes, and names the file when one byte of it changes or
when it is cut short, and the minutes when they do not carry the hash."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from conference.archive.models import MeetingArchive
from conference.archive.seal import load_manifest, seal
from core.db import session_scope
from core.filestore import FileStore
from core.settings import get_settings
from tests.conference.archive.recorded_files import record_files
from tests.documents.minutes.conftest import PIN, MinutesEnv, ended_meeting
from web.cli import app as cli


def test_signed_minutes_seal_the_archive_and_verify_names_the_first_mismatch(minutes_env: MinutesEnv,
                                                                              tmp_path: Path) -> None:
    env = minutes_env
    meeting_id = ended_meeting(env, title="Giao ban có ghi hình")
    directory = tmp_path / "recording"
    directory.mkdir()
    with session_scope(env.sessions()) as session:
        session.add(MeetingArchive(meeting_id=meeting_id, state="recording", directory=str(directory),
                                   started_at=datetime.now(UTC)))
    secretary = env.client("thuky")
    mid = secretary.post(f"/api/meetings/{meeting_id}/minutes").json()["id"]

    # still being sealed: the first signature waits (the hash must be in what is signed)
    waiting = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert waiting.status_code == 409 and "niêm phong" in waiting.json()["detail"]

    record_files(directory)
    store = FileStore(get_settings().files_dir)
    with session_scope(env.sessions()) as session:
        row = seal(session, meeting_id, store, {"giao_ban": 730}, wait=0)
        assert row is not None and row.state == "sealed"
        sha = row.manifest_sha256
    files = {f["name"]: f for f in load_manifest(store, sha)["files"]}
    assert set(files) == {"dc-vinh-high.webm", "dc-vinh-audio.webm"}
    assert abs(files["dc-vinh-high.webm"]["duration"] - 3.0) < 0.05 and files["dc-vinh-high.webm"]["codec"] == "vp8"

    signed = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert signed.status_code == 200, signed.text
    pdf = secretary.get(f"/api/minutes/{mid}/pdf").content
    shots = Path(__file__).resolve().parents[3] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    (shots / "minutes-with-archive-seal.pdf").write_bytes(pdf)  # looked at as pictures (pdftoppm)

    runner = CliRunner()
    ok = runner.invoke(cli, ["archive", "verify", str(meeting_id)])
    assert ok.exit_code == 0, ok.output
    assert "intact and sealed by its signed minutes" in ok.output

    victim = store.path_of(files["dc-vinh-high.webm"]["sha256"])
    victim.chmod(0o644)
    original = victim.read_bytes()
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x40
    victim.write_bytes(bytes(flipped))
    bad = runner.invoke(cli, ["archive", "verify", str(meeting_id)])
    assert bad.exit_code == 1
    assert "first mismatch: dc-vinh-high.webm: content changed" in bad.output

    victim.write_bytes(original[: len(original) // 2])
    cut = runner.invoke(cli, ["archive", "verify", str(meeting_id)])
    assert cut.exit_code == 1 and "dc-vinh-high.webm: truncated" in cut.output

    # the files back as they were, but the manifest row pointing elsewhere: the minutes do not match
    victim.write_bytes(original)
    other = store.put(b'{"files": [], "meeting": 0}')
    with session_scope(env.sessions()) as session:
        session.get(MeetingArchive, meeting_id).manifest_sha256 = other  # type: ignore[union-attr]
    forged = runner.invoke(cli, ["archive", "verify", str(meeting_id)])
    assert forged.exit_code == 1 and "do not carry the manifest's SHA-256" in forged.output


def test_prune_dry_run_lists_and_keeps(minutes_env: MinutesEnv, tmp_path: Path) -> None:
    env = minutes_env
    meeting_id = ended_meeting(env, title="Giao ban cũ")
    directory = tmp_path / "old"
    directory.mkdir()
    record_files(directory)
    with session_scope(env.sessions()) as session:
        session.add(MeetingArchive(meeting_id=meeting_id, state="recording", directory=str(directory),
                                   started_at=datetime.now(UTC)))
        session.flush()
        # kept for no days: already past its retention
        seal(session, meeting_id, FileStore(get_settings().files_dir), {"giao_ban": 0}, wait=0)
    runner = CliRunner()
    listed = runner.invoke(cli, ["archive", "prune", "--dry-run"])
    assert listed.exit_code == 0 and f"would remove meeting {meeting_id}: 2 files" in listed.output
    assert runner.invoke(cli, ["archive", "verify", str(meeting_id)]).output.count("bytes, SHA-256 matches") == 2
    removed = runner.invoke(cli, ["archive", "prune"])
    assert f"removed meeting {meeting_id}: 2 files" in removed.output
    after = runner.invoke(cli, ["archive", "verify", str(meeting_id)])
    assert "removed after their retention period" in after.output

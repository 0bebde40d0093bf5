"""`giaoban archive`: verify a meeting's archive against its signed minutes, seal one left
unsealed (the web process stopped before it could), prune what is past its retention. Here in the
web package because verification joins the conference's archive and the documents' minutes."""

from __future__ import annotations

import typer

from conference.archive.retention import prune as prune_archives
from conference.archive.seal import seal as seal_archive
from conference.archive.verify import verify_archive
from core.db import engine_for, session_factory, session_scope
from core.filestore import FileStore
from core.settings import get_settings
from documents.minutes.archive_seal import minutes_problems

app = typer.Typer(help="Meeting archives: recordings sealed by the signed minutes.", no_args_is_help=True)


def _sessions():  # type: ignore[no-untyped-def]
    settings = get_settings()
    return settings, session_factory(engine_for(settings.database_url))


@app.command("verify")
def verify(meeting: int = typer.Argument(..., min=1, help="The meeting's number")) -> None:
    """Check the files, the manifest and the signed minutes together; names the first mismatch."""
    settings, factory = _sessions()
    with factory() as session:
        result = verify_archive(session, meeting, FileStore(settings.files_dir), minutes_problems)
    for line in result.checked:
        typer.echo(f"ok    {line}")
    for line in result.problems:
        typer.echo(f"FAIL  {line}")
    if not result.ok:
        typer.echo(f"archive of meeting {meeting}: first mismatch: {result.first_mismatch}", err=True)
        raise typer.Exit(1)
    typer.echo(f"archive of meeting {meeting}: intact and sealed by its signed minutes")


@app.command("seal")
def seal(meeting: int = typer.Argument(..., min=1, help="The meeting's number")) -> None:
    """Seal an ended meeting's archive that was left unsealed."""
    settings, factory = _sessions()
    with session_scope(factory) as session:
        row = seal_archive(session, meeting, FileStore(settings.files_dir), dict(settings.archive_retention_days))
        if row is None:
            typer.echo(f"meeting {meeting}: not recorded", err=True)
            raise typer.Exit(1)
        typer.echo(f"meeting {meeting}: {row.state} {row.manifest_sha256 or row.reason}")


@app.command("prune")
def prune(dry_run: bool = typer.Option(False, "--dry-run", help="List what would be removed, remove nothing")) -> None:
    """Remove the recordings past their meeting kind's retention (the manifests stay)."""
    settings, factory = _sessions()
    with session_scope(factory) as session:
        found = prune_archives(session, FileStore(settings.files_dir), dry_run=dry_run)
        for item in found:
            typer.echo(f"{'would remove' if dry_run else 'removed'} meeting {item.meeting_id}: {item.files} files, "
                       f"{item.bytes} bytes (kept until {item.keep_until.date().isoformat()})")
        typer.echo(f"{len(found)} archives past retention{' (dry run: nothing removed)' if dry_run else ''}")

"""`giaoban documents ...` commands and `giaoban bench documents`."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Văn bản và hồ sơ / documents and dossiers.", no_args_is_help=True)


@app.command("dossier-stats")
def dossier_stats(
    first: str = typer.Option(..., "--from", help="first day, YYYY-MM-DD"),
    last: str = typer.Option(..., "--to", help="last day, YYYY-MM-DD"),
) -> None:
    """The dossier figures of a period, worded as in the province's reports."""
    from datetime import date

    from core.db import engine_for, session_factory
    from core.settings import get_settings
    from documents.dossiers import stats

    try:
        start, end = date.fromisoformat(first), date.fromisoformat(last)
        with session_factory(engine_for(get_settings().database_url))() as session:
            s = stats.summary(session, start, end)["totals"]
    except ValueError as exc:
        typer.echo(f"--from/--to: {exc}", err=True)
        raise typer.Exit(2) from exc

    def n(value: int) -> str:
        return f"{value:,}".replace(",", ".")

    typer.echo(f"Tính từ ngày {start:%d/%m/%Y} đến {end:%d/%m/%Y}, hệ thống đã tiếp nhận {n(s['received'])} hồ sơ "
               f"({n(s['online'])} hồ sơ tiếp nhận online). Trong đó, có {n(s['resolved'])} hồ sơ đã được giải quyết "
               f"(có {n(s['resolved_in_time'])} hồ sơ giải quyết xong trước hạn và đúng hạn; có {n(s['late'])} hồ sơ "
               f"giải quyết quá hạn theo thời gian quy định). Số hồ sơ đang giải quyết: {n(s['in_progress'])} hồ sơ.")


def bench_documents(
    scale: str = typer.Option("seed", help="seed (the province's four months), small (1/10) or tiny"),
    json: Path = typer.Option(Path("var/bench/documents.json"), "--json", help="where to write the figures"),
    database: str | None = typer.Option(None, help="PostgreSQL server URL; a fresh database is created "
                                                   "on it and dropped afterwards (default: a SQLite file)"),
) -> None:
    """Load 601,081 incoming and 79,415 outgoing documents and 62,738 dossiers, then time register pages,
    search, the dossier statistics and workflow transitions."""
    from core.settings import get_settings
    from documents.bench import TARGETS, run

    try:
        result = run(scale, json, database, get_settings().var_dir, log=typer.echo)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    for key in ("incoming", "outgoing", "dossiers", "database", "load_seconds", "register_page_ms_p95",
                "search_ms_p95", "dossier_stats_ms_p95", "transition_ms_p95"):
        target = f" (target < {TARGETS[key]})" if key in TARGETS else ""
        typer.echo(f"{key}: {result[key]}{target}")
    typer.echo(f"meets targets: {result['meets_targets']} — written to {json}")

"""Conference commands. `bench_sfu` is registered by the lead as `giaoban bench sfu`."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Online meetings: media workers and benchmarks.")


@app.command("bench-sfu")
def bench_sfu(
    districts: int = typer.Option(26, min=1, max=64, help="Publishing districts besides the host"),
    seconds: int = typer.Option(30, min=5, max=600, help="Length of the measured window"),
    json: Path = typer.Option(Path("var/bench/sfu.json"), help="Where to write the figures as JSON"),
    workers: int = typer.Option(0, min=0, max=64, help="Media worker processes (0 = settings.media_workers)"),
    pause_unwatched: bool = typer.Option(False, help="Publishers follow publish_hint events and pause "
                                         "video layers nobody receives"),
    observers: int = typer.Option(0, min=0, max=10, help="Observers (operations center) seeing what the chair sees"),
    nice: int = typer.Option(0, min=-20, max=19, help="Scheduling priority of the bench's processes "
                             "(negative needs root; for a machine shared with other work)"),
) -> None:
    """Run the provincial meeting through the media workers and report forwarding figures."""
    from core.settings import get_settings

    from .media.bench.runner import run_bench, write_json

    settings = get_settings()
    result = run_bench(districts, seconds, settings.var_dir, workers or settings.media_workers,
                       pause_unwatched=pause_unwatched, nice=nice, observers=observers)
    typer.echo(write_json(result, json))


if __name__ == "__main__":
    typer.run(bench_sfu)

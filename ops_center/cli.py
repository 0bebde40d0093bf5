"""Command line for the operations center: synthetic cameras, the ingest service, the camera bench."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path

import typer

NAME = "ops"
app = typer.Typer(help="Trung tâm điều hành: camera, cảnh báo / operations center", no_args_is_help=True)


@app.command("synthetic-cameras")
def synthetic_cameras(count: int = typer.Option(4, help="number of synthetic cameras"),
                      port: int = typer.Option(8554, help="loopback port to serve MJPEG on")) -> None:
    """Serve synthetic cameras (1280x720 main stream, 640x360 substream) on 127.0.0.1."""
    from ops_center.synthetic import run_synthetic_cameras

    run_synthetic_cameras(count=count, port=port)


def bench_cameras(
    feeds: int = typer.Option(8, help="synthetic 1280x720 feeds to serve and analyse"),
    seconds: int = typer.Option(60, help="measured run length (at least 20)"),
    json: Path = typer.Option(Path("var/bench/cameras.json"), help="where to write the figures"),
    analysis_fps: float = typer.Option(5.0, help="motion analysis rate per feed"),
    people_fps: float = typer.Option(2.0, help="people detector rate per feed while there is motion"),
    codec: str = typer.Option("mjpeg", help="substream the workers analyse: mjpeg or h264"),
    nodes: int = typer.Option(1, help="ingest processes; 2 or more: RTSP feeds shared through Redis leases, "
                                      "one process killed to time the takeover"),
    real: bool = typer.Option(True, help="add the real-footage section (needs Debian's opencv-doc)"),
) -> None:
    """Serve synthetic feeds with known motion and outages, ingest them, and score what was found.

    With --nodes 2 or more: that many ingest processes share --feeds RTSP cameras through Redis
    leases; reports CPU per feed and the takeover time after one process is killed."""
    if feeds < 1 or seconds < 10 or (nodes == 1 and seconds < 20):
        raise typer.BadParameter("--feeds must be >= 1 and --seconds >= 20 (10 with --nodes)")
    if codec not in ("mjpeg", "h264"):
        raise typer.BadParameter("--codec must be mjpeg or h264")
    if nodes > 1:
        from ops_center.bench_nodes import run_nodes_bench

        result = run_nodes_bench(feeds=feeds, nodes=nodes, seconds=seconds, analysis_fps=analysis_fps,
                                 people_fps=people_fps)
    else:
        from ops_center.bench import run_bench

        result = run_bench(feeds=feeds, seconds=seconds, analysis_fps=analysis_fps, people_fps=people_fps,
                           codec=codec, real_footage=real)
    json.parent.mkdir(parents=True, exist_ok=True)
    json.write_text(jsonlib.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(jsonlib.dumps(result, indent=2, ensure_ascii=False))


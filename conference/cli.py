"""Conference commands. `bench_sfu` is registered by the lead as `giaoban bench sfu`."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="Online meetings: media workers and benchmarks.")
media_app = typer.Typer(help="Media nodes: the SFU on several hosts.", no_args_is_help=True)
# More top-level commands of this area (`giaoban media ...`), registered by web/cli.py.
APPS = {"media": media_app}


@media_app.command("node")
def media_node(
    name: str = typer.Option("", help="This node's name, unique in the installation (GIAOBAN_MEDIA_NODE_NAME; "
                             "default: the host name)"),
    address: str = typer.Option("", help="Address to listen on and advertise (GIAOBAN_MEDIA_NODE_ADDRESS)"),
    control_port: int = typer.Option(0, help="TCP port of the control channel (GIAOBAN_MEDIA_NODE_CONTROL_PORT)"),
    relay_port: int = typer.Option(0, help="UDP+TCP port between nodes (GIAOBAN_MEDIA_NODE_RELAY_PORT)"),
) -> None:
    """Run a media node on this host: it registers itself and its load in Redis (GIAOBAN_LEASES_URL)
    and serves the participants the web processes place on it."""
    import socket

    from core.settings import get_settings

    from .media.node import run_node
    from .media.registry import RegistryError

    settings = get_settings()
    if not settings.leases_url:
        typer.echo("giaoban media node: GIAOBAN_LEASES_URL (or a Redis GIAOBAN_BUS_URL) must name the Redis "
                   "where media nodes register, e.g. redis://10.0.0.5:6379/0", err=True)
        raise typer.Exit(78)
    try:
        run_node(name or settings.media_node_name or socket.gethostname(), address or settings.media_node_address,
                 control_port or settings.media_node_control_port, relay_port or settings.media_node_relay_port,
                 settings.leases_url, settings.leases_namespace, settings.secret_key, settings.media_nice)
    except RegistryError as exc:
        typer.echo(f"giaoban media node: {exc}", err=True)
        raise typer.Exit(78) from exc


@app.command("bench-sfu")
def bench_sfu(
    districts: int = typer.Option(26, min=1, max=130, help="Publishing districts (or communes) besides the host; "
                                  "beyond 26 the chair receives one console page of tiles"),
    nodes: int = typer.Option(0, min=0, max=8, help="Media nodes as separate processes with their own addresses, "
                              "registered in Redis (GIAOBAN_LEASES_URL, default the local one); 0 = this host's "
                              "media workers"),
    seconds: int = typer.Option(30, min=5, max=600, help="Length of the measured window"),
    json: Path = typer.Option(Path("var/bench/sfu.json"), help="Where to write the figures as JSON"),
    workers: int = typer.Option(0, min=0, max=64, help="Media worker processes (0 = settings.media_workers)"),
    pause_unwatched: bool = typer.Option(True, help="Publishers follow publish_hint events and pause "
                                         "video layers nobody receives, as browsers and the endpoint agent do "
                                         "(--no-pause-unwatched: they keep sending them, as clients that "
                                         "ignore the hint would)"),
    observers: int = typer.Option(0, min=0, max=10, help="Observers (operations center) seeing what the chair sees"),
    nice: int = typer.Option(0, min=-20, max=19, help="Scheduling priority of the bench's processes "
                             "(negative needs root; for a machine shared with other work)"),
    record: bool = typer.Option(False, "--record", help="Run the meeting a second time with the archive recorded "
                                "and report the recorder's CPU per recorded packet beside the figures of both"),
    baseline_seconds: int = typer.Option(10, min=0, max=120, help="Length of aiortc's decode-and-re-encode "
                                         "baseline (0: skip it)"),
) -> None:
    """Run the provincial meeting through the media workers and report forwarding figures."""
    from core.settings import get_settings

    from .media.bench.runner import run_bench, write_json

    settings = get_settings()
    result = run_bench(districts, seconds, settings.var_dir, workers or settings.media_workers,
                       pause_unwatched=pause_unwatched, nice=nice, observers=observers, record=record,
                       baseline_seconds=baseline_seconds, nodes=nodes, leases_url=settings.leases_url,
                       secret=settings.secret_key)
    typer.echo(write_json(result, json))


if __name__ == "__main__":
    typer.run(bench_sfu)

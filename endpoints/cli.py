"""`giaoban endpoint ...`: run one endpoint agent, run the fleet; `bench_resilience` becomes
`giaoban bench resilience`."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path

import typer

NAME = "endpoint"
app = typer.Typer(help="Điểm cầu: tác nhân điểm cầu, đội điểm cầu demo / meeting endpoints: agent and fleet.",
                  no_args_is_help=True)
log = logging.getLogger("giaoban.endpoint")


def _logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("aioice", "aiortc", "websockets", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@app.command("run")
def run(
    server: str = typer.Option(..., help="The giaoban server, e.g. http://127.0.0.1:8000"),
    endpoint_id: str = typer.Option(..., help="The endpoint account, e.g. dc-vinh"),
    credentials_file: Path | None = typer.Option(
        None, help="File with GIAOBAN_ENDPOINT_PASSWORD=... (default var/endpoints/<id>.env); "
                   "the environment variable GIAOBAN_ENDPOINT_PASSWORD wins"),
    video: str = typer.Option("test", help="test, scene, none, /dev/videoN, rtsp://..., http://..., or a file"),
    audio: str = typer.Option("test", help="test, tone, none, alsa:DEVICE, url (the video URL's sound), or a file"),
    name: str | None = typer.Option(None, help="Name burnt into the test scene (default: the account's name)"),
    play: str = typer.Option("auto", help="auto (a window if a display exists), window, decode (headless), count"),
    poll: float = typer.Option(2.0, min=0.5, max=60, help="Seconds between checks for a live meeting"),
    health_every: float = typer.Option(5.0, min=1, max=300, help="Seconds between health reports"),
    log_level: str = typer.Option("info", help="debug, info, warning"),
) -> None:
    """Join this endpoint's meeting whenever it is live, and keep rejoining after faults."""
    from core.settings import get_settings
    from endpoints.agent import AgentOptions, EndpointAgent
    from endpoints.credentials import CredentialsError, load_credentials
    from endpoints.errors import FatalEndpointError
    from endpoints.server_client import ServerClient
    from endpoints.sink import display_available, install_counting_decoder
    from endpoints.sources import MediaSet, SourceError, parse_audio, parse_video

    _logging(log_level)
    settings = get_settings()
    try:
        credentials = load_credentials(endpoint_id, credentials_file, settings.var_dir)
        video_spec = parse_video(video)
        audio_spec = parse_audio(audio, video_spec)
        client = ServerClient(server, credentials)
    except (CredentialsError, SourceError) as exc:
        typer.echo(f"lỗi / error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except FatalEndpointError as exc:
        typer.echo(f"lỗi / error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    if play == "auto":
        play = "window" if display_available() else "decode"
    if play == "count":
        install_counting_decoder()
    media = MediaSet(name or endpoint_id, endpoint_id, video_spec, audio_spec, settings.var_dir)

    async def main() -> int:
        loop = asyncio.get_running_loop()
        if name is None and video_spec.kind in ("test", "scene"):
            # The scene carries the unit's own name: ask the server who we are before encoding clips.
            try:
                user = await client.login()
                media.name = str(user.get("full_name") or endpoint_id)
            except FatalEndpointError as exc:
                log.error("%s", exc)
                await client.close()
                return exc.exit_code
            except Exception as exc:  # unreachable now: the agent's own retry loop logs and waits
                log.info("name not known yet (%s); using %s", exc, endpoint_id)
        await asyncio.to_thread(media.prepare)
        agent = EndpointAgent(client, endpoint_id, media, AgentOptions(poll, health_every, play))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, agent.stop)
        return await agent.run()

    code = asyncio.run(main())
    if code:
        typer.echo(f"điểm cầu {endpoint_id} dừng với lỗi / stopped on an error (exit {code})", err=True)
    raise typer.Exit(code)


@app.command("fleet")
def fleet(
    server: str = typer.Option(..., help="The giaoban server, e.g. http://127.0.0.1:8000"),
    count: int | None = typer.Option(None, min=1, help="How many of the unit set's endpoints (default: all)"),
    processes: int = typer.Option(3, min=1, max=130, help="Processes to spread the endpoints over"),
    log_level: str = typer.Option("info", help="debug, info, warning"),
) -> None:
    """Run the endpoints of the unit set (GIAOBAN_UNIT_SET: the 26 district endpoints, or the 130 communes and
    wards; demo accounts, demo password from GIAOBAN_DEMO_PASSWORD)."""
    from core.settings import get_settings
    from endpoints.fleet import Fleet

    _logging(log_level)
    settings = get_settings()
    try:
        group = Fleet(server, count, processes, settings.var_dir, unit_set=settings.unit_set)
    except ValueError as exc:
        typer.echo(f"lỗi / error: {exc}", err=True)
        raise typer.Exit(2) from exc
    size = sum(len(part) for part in group.parts)
    group.run_until_signalled(lambda: typer.echo(
        f"{size} điểm cầu ({settings.unit_set}) trong {len(group.parts)} tiến trình / endpoints in "
        f"{len(group.parts)} processes → {server} (Ctrl-C để dừng / to stop)"))


@app.command("fleet-part", hidden=True)
def fleet_part(server: str = typer.Option(...), ids: str = typer.Option(...),
               var_dir: Path = typer.Option(Path("var")), log_level: str = typer.Option("info"),
               unit_set: str = typer.Option("districts")) -> None:
    """One process of the fleet (started by `fleet`)."""
    from endpoints.fleet import fleet_members, run_part

    _logging(log_level)
    wanted = ids.split(",")
    members = [m for m in fleet_members(None, unit_set) if m.endpoint_id in wanted]
    sys.exit(asyncio.run(run_part(server, members, var_dir)))


def bench_resilience(
    districts: int = typer.Option(26, min=1, max=26, help="Endpoints in the meeting"),
    json: Path = typer.Option(Path("var/bench/resilience.json"), help="Where to write the figures"),
    cut_seconds: float = typer.Option(20.0, min=1, max=120, help="How long one endpoint's network is cut"),
    workers: int = typer.Option(2, min=1, max=16, help="Media worker processes"),
) -> None:
    """A full meeting through faults: kill a media worker, restart the server, cut one endpoint's network."""
    from endpoints.resilience import run_resilience

    _logging("info")
    result = run_resilience(districts, cut_seconds, workers)
    json.parent.mkdir(parents=True, exist_ok=True)
    import json as json_lib

    json.write_text(json_lib.dumps(result, indent=2, ensure_ascii=False))
    typer.echo(json_lib.dumps(result, indent=2, ensure_ascii=False))
    typer.echo(f"written to {json}")


if __name__ == "__main__":  # `python -m endpoints.cli`: the fleet's processes, an endpoint machine
    app()

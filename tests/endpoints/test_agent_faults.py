"""The agent's behaviour on bad input and faults, against the real server and media workers: wrong
or missing credentials stop it with a clear error and a non-zero exit; a server that is not up yet
is retried with the reason logged; a camera unplugged mid-meeting becomes the "no camera" slate,
is reported, and the sound goes on."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading

import pytest
import uvicorn

from endpoints.sources import SourceSpec
from tests.conftest import free_port
from tests.endpoints.conftest import api, live_meeting, make_agent, stop, until
from tests.endpoints.mjpeg_camera import MjpegCamera

pytestmark = [pytest.mark.timeout(180)]


def cli(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "web.cli", "endpoint", "run", *args], env=env, timeout=timeout,
                          capture_output=True, text=True)


def test_wrong_password_exits_non_zero_with_a_clear_error(live_server: str) -> None:
    env = os.environ | {"GIAOBAN_ENDPOINT_PASSWORD": "not-the-password"}
    done = cli("--server", live_server, "--endpoint-id", "dc-vinh", "--video", "none", "--audio", "none", env=env)
    assert done.returncode == 3, done.stderr
    output = done.stdout + done.stderr
    assert "login refused for dc-vinh (HTTP 401)" in output
    assert "Sai tên đăng nhập hoặc mật khẩu" in output
    assert "not-the-password" not in output


def test_person_account_is_not_accepted_as_an_endpoint(live_server: str) -> None:
    env = os.environ | {"GIAOBAN_ENDPOINT_PASSWORD": "giaoban-demo"}
    done = cli("--server", live_server, "--endpoint-id", "vanhanh", "--video", "none", "--audio", "none", env=env)
    assert done.returncode == 3
    assert "not an endpoint account" in done.stdout + done.stderr


def test_missing_credentials_name_the_file_to_write(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if k != "GIAOBAN_ENDPOINT_PASSWORD"}
    missing = tmp_path / "dc-vinh.env"
    done = cli("--server", "http://127.0.0.1:9", "--endpoint-id", "dc-vinh", "--credentials-file", str(missing),
               env=env, timeout=30)
    assert done.returncode == 2
    assert str(missing) in done.stderr and "GIAOBAN_ENDPOINT_PASSWORD" in done.stderr


def test_password_is_not_accepted_on_the_command_line() -> None:
    done = cli("--server", "http://127.0.0.1:9", "--endpoint-id", "dc-vinh", "--password", "giaoban-demo",
               env=dict(os.environ), timeout=30)
    assert done.returncode == 2 and "No such option" in done.stderr


async def test_unreachable_server_is_retried_with_the_reason_logged(app, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO, logger="endpoints")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    agent = make_agent(base, "dc-vinh", tmp_path, video=SourceSpec("none"), audio=SourceSpec("none"))
    task = asyncio.ensure_future(agent.run())
    server = None
    try:
        await until(lambda: sum("server unreachable" in r.message for r in caplog.records) >= 2, 20,
                    "two logged retries")
        assert not task.done()
        assert "ConnectError" in agent.last_error and str(port) in agent.last_error
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               ws="websockets-sansio"))
        threading.Thread(target=server.run, daemon=True).start()
        # Nothing is live for dc-vinh: once the server is up, the agent logs in and waits.
        # Its back-off reaches 15 s between tries and a login hashes a password: on a loaded machine
        # that is well over half a minute.
        await until(lambda: agent.status == "waiting", 180, "the agent to log in and wait for a meeting")
        assert any("logged in" in r.message for r in caplog.records)
    finally:
        await stop(agent, tasks=[task])
        if server is not None:
            server.should_exit = True
    assert task.result() == 0


async def test_unplugged_camera_becomes_a_slate_and_audio_goes_on(live_server, media_workers, tmp_path) -> None:  # type: ignore[no-untyped-def]
    camera = MjpegCamera(free_port()).start()
    meeting_id = live_meeting(live_server, ["dc-vinh"])
    agent = make_agent(live_server, "dc-vinh", tmp_path, video=SourceSpec("url", camera.url),
                       audio=SourceSpec("tone"))
    task = asyncio.ensure_future(agent.run())
    try:
        await until(lambda: agent.status == "in_meeting" and agent.media.camera_state == "ok", 60,
                    "the agent in the meeting with its camera")

        async def audio_packets() -> int:
            pc = agent.session.pc if agent.session else None
            if pc is None:
                return 0
            stats = await pc.getStats()
            return sum(s.packetsSent for s in stats.values() if s.type == "outbound-rtp" and s.kind == "audio")

        camera.stop()
        await until(lambda: agent.media.camera_state == "lost", 20, "the camera reported lost")
        before = await audio_packets()
        await asyncio.sleep(2)
        assert await audio_packets() > before + 50  # 50 packets/s of Opus: the sound went on
        assert agent.status == "in_meeting"  # the meeting was not dropped for a camera

        with api(live_server, "vanhanh") as operator:
            def reported_lost() -> bool:
                rows = operator.get("/api/endpoints").json()["endpoints"]
                vinh = next(r for r in rows if r["username"] == "dc-vinh")
                return vinh["camera"] == "lost" and vinh["meeting_id"] == meeting_id
            await until(reported_lost, 15, "the registry showing the lost camera")

        camera = MjpegCamera(camera.port).start()  # plugged back in: reopened without operator action
        await until(lambda: agent.media.camera_state == "ok", 20, "the camera back")
    finally:
        camera.stop()
        await stop(agent, tasks=[task])

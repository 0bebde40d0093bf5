"""`giaoban endpoint fleet` on the communes set: a few commune endpoints, as the fleet's own processes, log in
with their accounts, join the meeting they are invited to and send media; the rest of the 130 stay absent."""

from __future__ import annotations

import os
import time

import pytest
from typer.testing import CliRunner

from endpoints.fleet import Fleet, fleet_members
from tests.endpoints.conftest import api, live_meeting
from web.cli import app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def unit_set() -> str:
    return "communes"


def test_fleet_members_come_from_the_communes_set(settings) -> None:  # type: ignore[no-untyped-def]
    members = fleet_members()
    assert len(members) == 130
    assert [(m.endpoint_id, m.name) for m in members[:2]] == [("phuong-thanhvinh", "Điểm cầu phường Thành Vinh"),
                                                             ("phuong-truongvinh", "Điểm cầu phường Trường Vinh")]
    refused = CliRunner().invoke(app, ["endpoint", "fleet", "--server", "http://127.0.0.1:9", "--count", "131"])
    assert refused.exit_code == 2 and "communes has 130 endpoints; --count 131 is too many" in refused.output


def test_a_fleet_of_commune_endpoints_joins_and_sends_media(settings, live_server, media_workers,  # type: ignore[no-untyped-def]
                                                           tmp_path) -> None:
    members = fleet_members(3)
    ids = [m.endpoint_id for m in members]
    meeting_id = live_meeting(live_server, [*ids, "xa-muongxen"])
    fleet = Fleet(live_server, 3, 3, settings.var_dir, log_dir=tmp_path / "log", unit_set="communes")
    fleet.env = dict(os.environ)  # this test's settings: var dir (clips), database untouched by the agents
    fleet.start()
    try:
        with api(live_server, "thuky") as secretary:
            deadline = time.monotonic() + 150  # clips are encoded on first start; the machine is shared
            sending: set[str] = set()
            while sending != set(ids):
                assert time.monotonic() < deadline, f"only {sorted(sending)} send media; logs in {tmp_path / 'log'}"
                fleet.check()
                stats = secretary.get(f"/api/meetings/{meeting_id}/stats").json()["participants"]
                sending = {p["participant"] for p in stats if p["link"] and p["link"]["bitrate_in_kbps"] > 0}
                time.sleep(1)
            assert fleet.restarts == 0
            attendance = secretary.get(f"/api/meetings/{meeting_id}/attendance").json()
        assert attendance["invited"] == 4 and attendance["attended"] == 3
        assert sorted(u["unit"]["short_name"] for u in attendance["units"]) == [
            "Phường Thành Vinh", "Phường Trường Vinh", "Phường Vinh Phú"]
        assert [u["short_name"] for u in attendance["absent"]] == ["Xã Mường Xén"]
    finally:
        fleet.stop()

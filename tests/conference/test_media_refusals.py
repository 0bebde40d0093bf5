"""An offer the web process lets through but a media worker refuses: the worker's error code
crosses the control channel and becomes the client's error frame, and the socket goes on."""

from __future__ import annotations

import asyncio

import aioice.ice
import pytest
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection

from tests.conference.helpers import join, receive_until, schedule_meeting, send, socket

pytestmark = pytest.mark.timeout(120)


def _offer(receive_audio: int) -> str:
    """A browser-like offer publishing audio and video and receiving `receive_audio` voices."""

    async def make() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        pc.addTransceiver("audio", direction="sendonly")
        pc.addTransceiver("video", direction="sendonly")
        pc.addTransceiver("video", direction="recvonly")
        for _ in range(receive_audio):
            pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return asyncio.run(make())


def test_a_media_workers_refusal_reaches_the_client_by_its_code(client, media_workers, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as ws:
        join(ws, mid, "host")
        send(ws, type="offer", sdp=_offer(receive_audio=9), ref="greedy")  # a worker takes 8 voices at most
        refused = receive_until(ws, "error")
        assert (refused["code"], refused["ref"], refused["for"]) == ("too_many_tracks", "greedy", "offer")
        assert "at most 8" in refused["message"] and "Quá nhiều" in refused["message"]
        # Nothing was kept of the refused offer: a proper one is answered.
        send(ws, type="offer", sdp=_offer(receive_audio=3), ref="proper")
        answer = receive_until(ws, "answer")
        assert answer["ref"] == "proper" and answer["sdp"].startswith("v=0")

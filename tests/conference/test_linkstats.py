"""What a tile says about a participant's link: a rate only once there is one to measure."""

from __future__ import annotations

from conference.linkstats import LinkMeter


def _sample(bytes_in: int, bytes_out: int) -> dict:
    return {"participant": "dc-vinh", "bytes_in": bytes_in, "bytes_out": bytes_out, "loss_in_pct": 0.5,
            "rtt_ms": 20.0}


def test_no_figure_before_a_rate_can_be_measured_then_the_rate() -> None:
    meter = LinkMeter()
    # The first sample has nothing to compare with: no "0 kb/s" for a link that is carrying video.
    assert meter.update(_sample(1_000_000, 50_000), at=100.0) is None
    quality = meter.update(_sample(1_100_000, 75_000), at=102.0)
    assert quality is not None
    assert quality.bitrate_in_kbps == 400.0 and quality.bitrate_out_kbps == 100.0 and quality.quality == "good"
    # Its counters restarted (a new media session): again no figure until the next sample.
    assert meter.update(_sample(10_000, 1_000), at=104.0) is None
    assert meter.update(_sample(60_000, 6_000), at=106.0).bitrate_in_kbps == 200.0

"""Link quality per participant from the media workers' counters: bitrates are differences between
successive samples, and a quality grade people can read at a glance on a tile."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.protocols.signaling import LinkQuality


def grade(loss_pct: float, rtt_ms: float | None, jitter_ms: float) -> str:
    # Thresholds where conversational video visibly degrades (freezes, lip-sync drift, talk-over).
    if loss_pct > 5 or (rtt_ms or 0) > 400 or jitter_ms > 60:
        return "poor"
    if loss_pct > 1 or (rtt_ms or 0) > 150 or jitter_ms > 30:
        return "fair"
    return "good"


@dataclass
class LinkMeter:
    """Turns each participant's cumulative byte counters into bitrates."""

    _last: dict[str, tuple[float, int, int]] = field(default_factory=dict)

    def update(self, sample: dict, at: float) -> LinkQuality | None:
        """None while there is no earlier sample to measure a rate against (a participant's first,
        or after its counters restarted): a tile would otherwise read "Tốt · 0 kb/s" over live video."""
        pid = sample["participant"]
        bytes_in, bytes_out = int(sample.get("bytes_in", 0)), int(sample.get("bytes_out", 0))
        previous = self._last.get(pid)
        self._last[pid] = (at, bytes_in, bytes_out)
        if previous is None or at <= previous[0] or bytes_in < previous[1] or bytes_out < previous[2]:
            return None
        seconds = at - previous[0]
        rate_in = (bytes_in - previous[1]) * 8 / seconds / 1000
        rate_out = (bytes_out - previous[2]) * 8 / seconds / 1000
        loss_in, loss_out = float(sample.get("loss_in_pct") or 0), float(sample.get("loss_out_pct") or 0)
        jitter_in, jitter_out = float(sample.get("jitter_in_ms") or 0), float(sample.get("jitter_out_ms") or 0)
        rtt = sample.get("rtt_ms")
        return LinkQuality(
            participant=pid, bitrate_in_kbps=round(rate_in, 1), bitrate_out_kbps=round(rate_out, 1),
            loss_in_pct=loss_in, loss_out_pct=loss_out, jitter_in_ms=jitter_in, jitter_out_ms=jitter_out,
            rtt_ms=None if rtt is None else float(rtt),
            quality=grade(max(loss_in, loss_out), None if rtt is None else float(rtt), max(jitter_in, jitter_out)),
            at=at)

    def forget(self, participant: str) -> None:
        self._last.pop(participant, None)

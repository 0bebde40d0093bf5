"""Dominant speaker detection from RFC 6464 audio levels, after Volfin and Cohen (2013).

Each participant's audio packets are reduced to "voice active" or not (level above a threshold).
Activity is scored over three time scales - immediate, medium, long - as a log-likelihood ratio of
speech against noise. A challenger takes the floor only when it beats the current dominant
speaker on all three scales by a margin: a cough does not win the medium scale, a short
interjection does not win the long one, and when everyone falls silent the last speaker keeps
the floor. The scales and margins are the hysteresis.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

# RFC 6464 levels are 0..127 meaning 0..-127 dBov; speech sits well above -55 dBov.
ACTIVE_LEVEL = 55
SILENT_LEVEL = 127
FRAME_SECONDS = 0.02

P_SPEECH = 0.5
P_NOISE = 0.05
_ACTIVE_WEIGHT = math.log(P_SPEECH / P_NOISE)
_INACTIVE_WEIGHT = math.log((1 - P_SPEECH) / (1 - P_NOISE))


@dataclass
class _Speaker:
    # Times of the voice-active packets within the longest window, oldest first: the scores
    # count only those, by bisection (inactive packets count as the window's rest).
    active: list[float] = field(default_factory=list)
    loudness: float = 0.0
    last_active: float = -1e9


@dataclass(frozen=True)
class SpeakerScores:
    immediate: float
    medium: float
    long: float


class DominantSpeakerDetector:
    def __init__(
        self,
        *,
        windows: tuple[float, float, float] = (0.3, 1.0, 2.0),
        margins: tuple[float, float, float] = (3.0, 2.0, 0.0),
        active_level: int = ACTIVE_LEVEL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._windows = windows
        self._margins = margins
        self._active_level = active_level
        self._clock = clock
        self._speakers: dict[Hashable, _Speaker] = {}
        self.dominant: Hashable | None = None
        self._expected = [max(1, round(window / FRAME_SECONDS)) for window in windows]
        # The scores of a participant with no voice-active packet in the longest window: most
        # of a meeting at every tick, so made once.
        self._silent = SpeakerScores(*(expected * _INACTIVE_WEIGHT for expected in self._expected))

    def add_level(self, speaker: Hashable, level: int, now: float | None = None) -> None:
        """Record one audio packet's level (0 = loudest, 127 = silence)."""
        now = self._clock() if now is None else now
        state = self._speakers.get(speaker)
        if state is None:
            state = self._speakers[speaker] = _Speaker()
        active = level <= self._active_level
        times = state.active
        if active:
            times.append(now)
        if times and times[0] < now - self._windows[2]:
            del times[: bisect_left(times, now - self._windows[2])]
        # Loudness for choosing which audio tracks to forward: smoothed, in dB above silence.
        state.loudness += 0.1 * ((SILENT_LEVEL - level) - state.loudness)
        if active:
            state.last_active = now

    def remove(self, speaker: Hashable) -> None:
        self._speakers.pop(speaker, None)
        if self.dominant == speaker:
            self.dominant = None

    def scores(self, speaker: Hashable, now: float | None = None) -> SpeakerScores:
        now = self._clock() if now is None else now
        state = self._speakers.get(speaker)
        if state is None or not state.active:
            return self._silent
        times = state.active
        values = []
        for window, expected in zip(self._windows, self._expected, strict=True):
            active = min(len(times) - bisect_left(times, now - window), expected)
            values.append(active * _ACTIVE_WEIGHT + (expected - active) * _INACTIVE_WEIGHT)
        return SpeakerScores(*values)

    def decide(self, now: float | None = None) -> Hashable | None:
        """Re-evaluate; returns the new dominant speaker when it changed, else None."""
        now = self._clock() if now is None else now
        scored = {speaker: self.scores(speaker, now) for speaker in self._speakers}
        if self.dominant is None or self.dominant not in scored:
            best = max(scored.items(), key=lambda item: item[1].medium, default=None)
            if best is not None and best[1].medium > 0:
                self.dominant = best[0]
                return best[0]
            return None
        current = scored[self.dominant]
        challenger = None
        best_margin = 0.0
        for speaker, s in scored.items():
            if speaker == self.dominant:
                continue
            diffs = (s.immediate - current.immediate, s.medium - current.medium, s.long - current.long)
            if all(d > m for d, m in zip(diffs, self._margins, strict=True)) and diffs[1] > best_margin:
                challenger, best_margin = speaker, diffs[1]
        if challenger is not None:
            self.dominant = challenger
            return challenger
        return None

    def loudest(self, count: int, now: float | None = None, recent: float = 1.5) -> list[Hashable]:
        """Up to `count` speakers that were voice-active within `recent` seconds, loudest first;
        the dominant speaker is always among them."""
        now = self._clock() if now is None else now
        candidates = [(s.loudness, key) for key, s in self._speakers.items() if now - s.last_active <= recent]
        candidates.sort(key=lambda item: item[0], reverse=True)
        chosen = [key for _, key in candidates[:count]]
        if self.dominant is not None and self.dominant in self._speakers and self.dominant not in chosen:
            chosen = [self.dominant, *chosen[: count - 1]] if count > 0 else []
        return chosen

"""Dominant speaker: sustained speech takes the floor, a cough or a pause does not."""

from __future__ import annotations

from conference.media.speaker import DominantSpeakerDetector

LOUD, QUIET = 25, 110


def _run(detector: DominantSpeakerDetector, start: float, seconds: float, levels: dict[str, object]) -> list:
    """Feed 20 ms packets; levels maps speaker -> constant level or callable(t) -> level."""
    changes = []
    t = start
    step = 0
    while t < start + seconds:
        for speaker, level in levels.items():
            value = level(t) if callable(level) else level
            detector.add_level(speaker, value, now=t)
        step += 1
        if step % 5 == 0:  # decisions every 100 ms, as the worker does
            changed = detector.decide(now=t)
            if changed is not None:
                changes.append((round(t - start, 2), changed))
        t += 0.02
    return changes


def _speech(t: float) -> int:
    return QUIET if int(t * 50) % 8 == 0 else LOUD  # speech has short gaps


def test_first_speaker_takes_the_floor_and_keeps_it_through_silence() -> None:
    d = DominantSpeakerDetector()
    changes = _run(d, 0.0, 2.0, {"a": _speech, "b": QUIET, "c": QUIET})
    assert changes and changes[0][1] == "a" and changes[0][0] < 1.0
    assert _run(d, 2.0, 5.0, {"a": QUIET, "b": QUIET, "c": QUIET}) == []
    assert d.dominant == "a"


def test_a_cough_does_not_steal_the_floor() -> None:
    d = DominantSpeakerDetector()
    _run(d, 0.0, 3.0, {"a": _speech, "b": QUIET})
    cough = _run(d, 3.0, 2.0, {"a": _speech, "b": lambda t: LOUD if t < 3.3 else QUIET})
    assert cough == [] and d.dominant == "a"
    # Even while a pauses, a short burst from b is not enough.
    pause = _run(d, 5.0, 2.0, {"a": QUIET, "b": lambda t: LOUD if t < 5.25 else QUIET})
    assert pause == [] and d.dominant == "a"


def test_sustained_speech_takes_over_within_about_a_second_and_a_half() -> None:
    d = DominantSpeakerDetector()
    _run(d, 0.0, 3.0, {"a": _speech, "b": QUIET})
    changes = _run(d, 3.0, 3.0, {"a": QUIET, "b": _speech})
    assert len(changes) == 1 and changes[0][1] == "b"
    assert 0.3 <= changes[0][0] <= 1.5


def test_interruption_while_the_speaker_continues_does_not_switch() -> None:
    d = DominantSpeakerDetector()
    _run(d, 0.0, 3.0, {"a": _speech, "b": QUIET})
    assert _run(d, 3.0, 2.0, {"a": _speech, "b": _speech}) == []
    assert d.dominant == "a"


def test_loudest_lists_recent_speakers_loudest_first_with_the_dominant_included() -> None:
    d = DominantSpeakerDetector()
    _run(d, 0.0, 2.0, {"a": _speech, "b": QUIET, "c": QUIET, "d": QUIET, "e": QUIET})
    _run(d, 2.0, 0.6, {"a": _speech, "b": 5, "c": 40, "d": 50, "e": QUIET})
    assert d.dominant == "a"
    assert d.loudest(3, now=2.6) == ["b", "a", "c"]
    assert "e" not in d.loudest(5, now=2.6)  # never voice-active
    assert d.loudest(1, now=2.6) == ["a"]  # the floor holder is always heard


def test_each_time_scale_counts_the_voice_active_packets_within_its_window() -> None:
    """0.5 s of speech then 1 s of silence: the speech has left the immediate (0.3 s) and the
    medium (1 s) windows but is all in the long (2 s) one; a participant never heard scores as
    silent on all three."""
    detector = DominantSpeakerDetector()
    _run(detector, 0.0, 0.5, {"a": LOUD, "b": QUIET})
    _run(detector, 0.5, 1.0, {"a": QUIET, "b": QUIET})
    now = 1.49
    speech, silent, unknown = (detector.scores(p, now=now) for p in ("a", "b", "nobody"))
    assert speech.immediate == silent.immediate == unknown.immediate
    assert speech.medium == silent.medium
    assert speech.long > silent.long == unknown.long
    # 25 active packets in the long window of 100: 25 * log(10) + 75 * log(0.5 / 0.95)
    assert round(speech.long, 3) == round(25 * 2.302585 + 75 * -0.641854, 3)

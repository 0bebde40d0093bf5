"""`giaoban bench documents` end to end at its smallest scale: a fresh database, the synthetic province
(480 communes), documents and dossiers loaded in bulk, the indexes rebuilt, and every figure written."""

from __future__ import annotations

import json
from pathlib import Path

from documents.bench import SCALES, run


def test_bench_documents_tiny_scale_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = run("tiny", out, None, tmp_path, log=lambda _line: None)
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == result
    scale = SCALES["tiny"]
    assert (written["incoming"], written["outgoing"]) == (scale.incoming, scale.outgoing)
    assert written["dossiers"] == scale.dossiers.received
    assert written["database"] == "sqlite"
    assert written["units"] == {"departments": 22, "districts": 21, "communes": 480}
    for key in ("load_seconds", "register_page_ms_p95", "search_ms_p95", "dossier_stats_ms_p95",
                "transition_ms_p95"):
        assert written[key] > 0, key
    # The reported figures come out of the loaded dossiers, and search finds folded Vietnamese.
    figures = written["seed_figures"]
    assert figures["received"] == scale.dossiers.received
    assert figures["late"] == scale.dossiers.late
    assert figures["in_progress"] == scale.dossiers.in_progress
    assert "Covid-19" in written["search_example"]["first_hit"]
    assert 0 < written["samples"]["transition_ms"] <= 200  # submit + approve of up to 100 dossiers
    assert not list((tmp_path / "bench").iterdir())  # the throw-away database is gone

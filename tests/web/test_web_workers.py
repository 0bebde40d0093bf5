"""Several web processes need a shared live state: `giaoban up --web-workers 2` and `giaoban serve
--reuse-port` refuse to start without GIAOBAN_LIVE_STATE_URL, saying what to set, before touching
anything."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from core.settings import Settings, get_settings
from web.cli import app


@pytest.mark.parametrize("argv, code", [(["up", "--web-workers", "2", "--no-seed-demo"], 2),
                                        (["serve", "--reuse-port", "--port", "1"], 78)])
def test_several_web_processes_without_a_live_state_are_refused(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                                argv: list[str], code: int) -> None:
    monkeypatch.delenv("GIAOBAN_LIVE_STATE_URL", raising=False)
    get_settings.cache_clear()
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == code
    assert "GIAOBAN_LIVE_STATE_URL=redis://" in result.output

"""The command line: accounts from the environment's password, never from an argument."""

from __future__ import annotations

from typer.testing import CliRunner

from web.cli import app


def test_user_create_takes_password_from_environment(settings, client) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    result = runner.invoke(app, ["user", "create", "ct.vinh", "--role", "chair", "--unit", "000.00.31.H41",
                                 "--full-name", "Võ Văn Bình"], env={"GIAOBAN_PASSWORD": "mat-khau-vinh-1"})
    assert result.exit_code == 0, result.output
    r = client.post("/api/auth/login", json={"username": "ct.vinh", "password": "mat-khau-vinh-1"})
    assert r.status_code == 200 and r.json()["user"]["unit_name"] == "TP Vinh"


def test_user_create_refuses_without_password_or_with_bad_unit(settings) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    no_pw = runner.invoke(app, ["user", "create", "x1", "--role", "clerk"], env={"GIAOBAN_PASSWORD": ""})
    assert no_pw.exit_code == 2 and "GIAOBAN_PASSWORD" in no_pw.output
    bad = runner.invoke(app, ["user", "create", "x2", "--role", "clerk", "--unit", "000.00.99.H41"],
                        env={"GIAOBAN_PASSWORD": "long-enough-1"})
    assert bad.exit_code == 2 and "000.00.99.H41" in bad.output
    dup = runner.invoke(app, ["user", "create", "vanthu", "--role", "clerk"], env={"GIAOBAN_PASSWORD": "long-enough-1"})
    assert dup.exit_code == 2 and "đã tồn tại" in dup.output


def test_demo_seed_is_idempotent(settings) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert "new accounts: 0" in first.output  # the test database is already seeded
    assert "chutoa" in first.output

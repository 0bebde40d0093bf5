"""Domain refusals carry a kind, not an HTTP status: the web layer answers each kind with one status and
the same JSON an HTTPException gives, and a refusal survives the trip from a worker process."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from core.errors import DomainError, Kind
from documents.filecheck import FileRejected
from documents.minutes.verification import VerifyRejected
from documents.workflow import NumberTaken
from web import errors


def test_every_kind_has_an_error_status() -> None:
    assert set(errors.STATUS) == set(Kind)
    assert all(400 <= status < 600 for status in errors.STATUS.values())


def test_a_refusal_is_answered_like_the_http_exception_of_its_kind() -> None:
    app = FastAPI()
    errors.install(app)
    message = "Biên bản đã ban hành / the minutes are already issued"

    @app.get("/refused")
    def refused() -> None:
        raise NumberTaken(message)

    @app.get("/http")
    def http() -> None:
        raise HTTPException(409, message)

    with TestClient(app) as client:
        domain, plain = client.get("/refused"), client.get("/http")
    assert domain.status_code == plain.status_code == 409
    assert domain.json() == plain.json() == {"detail": message}


def test_refusals_cross_process_boundaries_whole() -> None:
    for error in (NumberTaken("Số 12 vừa được cấp / number 12 was taken"),
                  FileRejected(Kind.unsupported_type, "Loại tệp không được chấp nhận / file type not accepted"),
                  VerifyRejected(Kind.too_large, "Tệp quá lớn / the file is too large")):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and again.kind == error.kind and again.message == error.message
        assert isinstance(again, DomainError) and str(again) == error.message


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def test_no_domain_error_is_made_with_an_http_status() -> None:
    """`SomeError(409, ...)` left over from before the kinds (or from a merge) would fail at run time."""
    root = Path(__file__).resolve().parents[2]
    trees = {path: ast.parse(path.read_text(encoding="utf-8"))
             for package in ("core", "conference", "endpoints", "documents", "signing", "ops_center", "web")
             for path in (root / package).rglob("*.py")}
    nodes = {path: list(ast.walk(tree)) for path, tree in trees.items()}
    classes = [node for found in nodes.values() for node in found if isinstance(node, ast.ClassDef)]
    domain_errors, grown = {"DomainError"}, True
    while grown:  # subclasses of subclasses, across modules
        grown = False
        for node in classes:
            if node.name not in domain_errors and any(_name(base) in domain_errors for base in node.bases):
                domain_errors.add(node.name)
                grown = True
    assert {"DossierError", "MinutesError", "SigningRefused", "NumberTaken"} <= domain_errors
    with_status = [f"{path.relative_to(root)}:{node.lineno}" for path, found in nodes.items() for node in found
                   if isinstance(node, ast.Call) and _name(node.func) in domain_errors and node.args
                   and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int)]
    assert not with_status, f"give a core.errors.Kind, not an HTTP status: {with_status}"

"""Refusals of the domain: what went wrong, as a kind and a sentence a person can act on, never an HTTP status.

Each area raises its own subclass of `DomainError` (documents.errors.DocumentError, conference.scheduling's
MeetingRefused, ...) with a `Kind`; the web layer answers every one of them in one place
(web/errors.py: one kind -> one HTTP status), with the same JSON as before: `{"detail": message}`.

    raise DossierError(Kind.conflict, "Hồ sơ đã trả kết quả / the dossier is already closed")

A new refusal needs no route change: subclass DomainError (or raise an existing one) with the kind that
says what the person must do; add a Kind only for a new kind of answer, with its status in web/errors.py
(a test checks that every kind has one)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What the person (or their client) has to do about a refusal."""

    bad_request = "bad_request"  # something needed is missing or unreadable, or a secret (PIN) was wrong
    not_allowed = "not_allowed"  # the person's role or unit may not do this
    not_found = "not_found"  # no such thing (or not one the person may see)
    conflict = "conflict"  # not possible in the current state (already done, changed meanwhile): reload
    too_large = "too_large"
    unsupported_type = "unsupported_type"  # a file type that is not accepted
    invalid = "invalid"  # well-formed, but names something that does not fit (the message names the field)
    locked = "locked"  # locked until an administrator unlocks it
    too_many = "too_many"  # too many attempts: wait and try again
    upstream_failed = "upstream_failed"  # another service we depend on answered wrongly
    unavailable = "unavailable"  # a service we depend on cannot be reached now: try again shortly


class DomainError(Exception):
    """A refused request: `kind` says what sort of refusal, `message` (Vietnamese / English) what to change."""

    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(kind, message)
        self.kind = Kind(kind)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses may take other arguments than (kind, message); rebuild from the state instead, so that
        # an error raised in a worker process (documents.inspection) arrives whole.
        return _restore, (type(self), self.args, self.__dict__)


def _restore(cls: type[DomainError], args: tuple[Any, ...], state: dict[str, Any]) -> DomainError:
    error = cls.__new__(cls, *args)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error

"""Refusals of document operations, each of one kind (core.errors.Kind) with a message to act on."""

from __future__ import annotations

from core.errors import DomainError, Kind


class DocumentError(DomainError):
    kind = Kind.bad_request

    def __init__(self, message: str) -> None:
        super().__init__(type(self).kind, message)


class NotAllowed(DocumentError):
    """The person's role or unit may not do this."""

    kind = Kind.not_allowed


class WrongState(DocumentError):
    """The action is not possible from the document's current state."""

    kind = Kind.conflict


class NotFound(DocumentError):
    kind = Kind.not_found


class Invalid(DocumentError):
    """The request is well-formed but names something that does not fit."""

    kind = Kind.invalid

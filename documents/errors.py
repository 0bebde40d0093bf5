"""Refusals of document operations, each with the HTTP status it maps to and a message to act on."""

from __future__ import annotations


class DocumentError(Exception):
    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotAllowed(DocumentError):
    """The person's role or unit may not do this (403)."""

    status = 403


class WrongState(DocumentError):
    """The action is not possible from the document's current state (409)."""

    status = 409


class NotFound(DocumentError):
    status = 404


class Invalid(DocumentError):
    """The request is well-formed but names something that does not fit (422)."""

    status = 422

"""What can go wrong for an endpoint, sorted by what the agent does about it."""

from __future__ import annotations


class FatalEndpointError(Exception):
    """Retrying cannot help (wrong password, disabled account, wrong server): the agent exits non-zero."""

    exit_code = 3


class BadCredentials(FatalEndpointError):
    exit_code = 3


class ServerUnavailable(Exception):
    """The server cannot be reached or answered 5xx: retry with back-off, logging the reason."""


class SessionLost(Exception):
    """The meeting session broke (socket closed, media stopped, worker gone): rejoin with back-off."""


class MeetingOver(Exception):
    """The meeting ended or the endpoint was removed: go back to waiting, do not rejoin this meeting."""

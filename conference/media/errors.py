"""Errors the media path reports to its caller (the signaling layer shows them to the client)."""


class MediaError(Exception):
    """A request the media path refuses: bad SDP, unknown room or participant, duplicate join."""

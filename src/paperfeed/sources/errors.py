"""Errors a source reports, as one-line messages a user can act on."""

from __future__ import annotations


class SourceError(Exception):
    """The source answered with an error, or with something that is not its format.

    ``code`` is the source's own error code where it has one (an OAI-PMH
    ``badResumptionToken``, an HTTP status as text). ``retryable`` is True for
    answers worth asking again (a truncated or garbled body, a server error).
    """

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class MalformedResponse(SourceError):
    """The body is not well-formed (truncated, garbled): asking again may help."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="malformed", retryable=True)


class Forbidden(SourceError):
    """HTTP 403: the source refuses us. Harvests stop instead of retrying."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="403", retryable=False)

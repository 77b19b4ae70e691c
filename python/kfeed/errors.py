"""The one exception hierarchy of kfeed; the Rust core maps its errors onto these classes."""

from __future__ import annotations

__all__ = [
    "AuthError",
    "CapacityError",
    "KfeedError",
    "ProtocolError",
    "RateLimitError",
    "RestError",
    "SessionError",
    "SubscriptionError",
]


class KfeedError(Exception):
    """Base class of every error kfeed raises."""


class ProtocolError(KfeedError):
    """A frame or record broke the Koscom wire protocol in a way the caller asked to hear about."""


class CapacityError(KfeedError, ValueError):
    """A fixed capacity chosen at construction is used up (e.g. the feed's symbol table is full)."""


class SessionError(KfeedError):
    """The WebSocket session failed: it could not connect, was closed, or the peer stopped answering."""


class RestError(KfeedError):
    """A REST call failed; carries the HTTP status and the vendor's code and message.

    The API key is never part of the message.
    """

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class AuthError(RestError, SessionError):
    """The API key was missing or rejected (REST 401, or WS error 13001)."""


class RateLimitError(RestError):
    """The daily quota is used up (REST 429)."""


class SubscriptionError(SessionError):
    """A subscribe or unsubscribe was refused (unknown code or preset, over the session's cap, ...)."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code

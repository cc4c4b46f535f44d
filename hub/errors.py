"""Errors with stable codes: every bad input maps to one of these, never to a stack trace."""

from __future__ import annotations

from typing import Any


class HubError(Exception):
    """A failure the caller can act on. ``code`` is stable and documented; ``message`` is for people."""

    code: str = "HUB_ERROR"
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details


class InvalidInput(HubError):
    code = "INVALID_INPUT"


class NotFound(HubError):
    code = "NOT_FOUND"
    http_status = 404


class Forbidden(HubError):
    code = "FORBIDDEN"
    http_status = 403


class Conflict(HubError):
    code = "CONFLICT"
    http_status = 409


class ConfigurationError(HubError):
    """Settings are missing or a required service cannot be reached: the Hub refuses to start."""

    code = "CONFIGURATION_ERROR"
    http_status = 500

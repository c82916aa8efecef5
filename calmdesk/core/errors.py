"""Domain errors raised by services; views and the API turn them into 4xx answers."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses. ``field`` names the input at fault, when there is one."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class PermissionDenied(DomainError):
    def __init__(self, message: str = "Not allowed.") -> None:
        super().__init__(message, code="forbidden")


class NotFound(DomainError):
    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message, code="not_found")

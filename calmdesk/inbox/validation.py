"""Validate a public submission against the configured form fields. CONTRACT — public intake work.

Used by the HTML form and the API alike, so both give the same per-field errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from calmdesk.tickets.models import RequestType


class SubmissionInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("invalid submission")
        self.errors = errors


@dataclass
class CleanSubmission:
    name: str
    email: str  # normalised
    phone: str  # E.164 or ""
    request_type: RequestType | None
    subject: str
    message: str
    custom_fields: dict[str, Any] = field(default_factory=dict)  # JSON-ready (dates as ISO)
    attachments: list[UploadedFile] = field(default_factory=list)
    language: str = "en"


def validate_submission(
    data: dict[str, Any], files: list[UploadedFile], *, language: str
) -> CleanSubmission:
    """Check ``data`` (field key → raw value) against the active FormFields; raise
    SubmissionInvalid with translated messages per field key."""
    raise NotImplementedError

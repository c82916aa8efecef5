"""Configuration of the public request form: its fields and its short-URL aliases."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from calmdesk.core.config_cache import InvalidatesConfig
from calmdesk.core.fields import RowIdBigIntegerField
from calmdesk.tickets.models import format_reference


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    FILE = "file", _("File")


# Keys with a built-in meaning: they fill the customer and the ticket instead of custom fields.
SYSTEM_FIELD_KEYS = {
    "name": FieldType.TEXT,
    "email": FieldType.EMAIL,
    "phone": FieldType.PHONE,
    "request_type": FieldType.CHOICE,
    "subject": FieldType.TEXT,
    "message": FieldType.LONG_TEXT,
    "attachments": FieldType.FILE,
}


def _localised(mapping: dict[str, str], language: str | None, fallback: str) -> str:
    lang = (language or get_language() or "en")[:2]
    return mapping.get(lang) or mapping.get("en") or fallback


class FormField(InvalidatesConfig, models.Model):
    config_caches = ("calmdesk.inbox.validation.FORM",)

    key = models.SlugField(
        _("key"),
        max_length=60,
        unique=True,
        help_text=_(
            "Stable name; name, email, phone, request_type, subject, "
            "message and attachments have a built-in meaning."
        ),
    )
    field_type = models.CharField(_("type"), max_length=12, choices=FieldType.choices)
    labels = models.JSONField(_("label per language"), default=dict)
    help_texts = models.JSONField(_("help text per language"), default=dict, blank=True)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_(
            'For choice fields: [{"value": "a", "labels": {"en": "A"}}, ...]. '
            "The request_type field takes its choices from the request types."
        ),
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("form field")
        verbose_name_plural = _("form fields")

    def __str__(self) -> str:
        return self.key

    def label(self, language: str | None = None) -> str:
        return _localised(self.labels, language, self.key.replace("_", " ").capitalize())

    def help_text(self, language: str | None = None) -> str:
        return _localised(self.help_texts, language, "")

    def clean(self) -> None:
        expected = SYSTEM_FIELD_KEYS.get(self.key)
        if expected and self.field_type != expected:
            raise ValidationError(
                {
                    "field_type": _("The %(key)s field must be of type %(type)s.")
                    % {"key": self.key, "type": expected.label}
                }
            )
        choices_ok = isinstance(self.choices, list) and all(
            isinstance(c, dict) and c.get("value") for c in self.choices
        )
        needs_choices = self.field_type == FieldType.CHOICE and self.key != "request_type"
        if needs_choices and (not self.choices or not choices_ok):
            raise ValidationError(
                {"choices": _('A choice field needs a list of choices, each with a "value".')}
            )


# Paths the application serves itself: an alias may not take them.
RESERVED_ALIAS_PATHS = frozenset(
    {
        "help",
        "crisis",
        "agent",
        "api",
        "admin",
        "accounts",
        "t",
        "static",
        "media",
        "optout",
        "i18n",
    }
)


class FormAlias(models.Model):
    """A short path (``/crisis``, ``/refund``) that shows the form, optionally preset."""

    path = models.SlugField(
        _("path"),
        max_length=60,
        unique=True,
        help_text=_("Served at /<path>, e.g. crisis → /crisis."),
    )
    request_type = models.ForeignKey(
        "tickets.RequestType",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("preselected type"),
    )
    titles = models.JSONField(_("title per language"), default=dict, blank=True)
    intros = models.JSONField(_("introduction per language"), default=dict, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("form alias")
        verbose_name_plural = _("form aliases")

    def __str__(self) -> str:
        return f"/{self.path}"

    def clean(self) -> None:
        if self.path.lower() in RESERVED_ALIAS_PATHS:
            raise ValidationError(
                {"path": _("/%(path)s is used by Calmdesk itself.") % {"path": self.path}}
            )

    def title(self, language: str | None = None) -> str:
        return _localised(self.titles, language, "")

    def intro(self, language: str | None = None) -> str:
        return _localised(self.intros, language, "")


class SubmissionState(models.TextChoices):
    RECEIVED = "received", _("Received, not filed yet")
    FILING = "filing", _("Being filed")
    FILED = "filed", _("Filed")
    FAILED = "failed", _("Filing failed")


class Submission(models.Model):
    """A request from the form or the API, accepted in one row before anything else happens.

    Intake answers from this row alone — the reference, the private link, the priority and the
    expected wait are decided when it is written — and the worker files it (customer, dedup,
    triage, ticket, events, acknowledgement) right after: ``inbox.services.submissions_file``.
    The primary key is the ticket id reserved for it (the reference ``CD-…`` is derived from
    it), the tracking token is the ticket's. A submission the dedup adds to an open ticket
    leaves its reserved id unused; ``ticket`` then names the ticket it went to.
    """

    id = RowIdBigIntegerField(_("reserved ticket id"), primary_key=True)
    received_at = models.DateTimeField(_("received"))
    channel = models.CharField(_("channel"), max_length=20)
    intake_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    tracking_token = models.CharField(max_length=64, unique=True)
    language = models.CharField(_("language"), max_length=8)
    # name, email, phone, subject, message, request_type (key), custom_fields, incident_hint,
    # attachments ([{path, name, content_type, size}] staged in the default storage).
    payload = models.JSONField(_("submitted"), default=dict)
    # The answer given at intake (the triage rules on the submitted fields, the live wait).
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_index=False,
        related_name="+",
        verbose_name=_("team announced"),
    )
    priority = models.CharField(_("priority announced"), max_length=10)
    queue_score = models.IntegerField(default=0)
    wait_minutes = models.PositiveIntegerField(_("wait announced (minutes)"))
    state = models.CharField(
        _("state"), max_length=10, choices=SubmissionState.choices, default=SubmissionState.RECEIVED
    )
    claim = models.CharField(max_length=32, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    filed_at = models.DateTimeField(_("filed"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True, default="")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=_("ticket"),
    )

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        indexes = [
            # The backlog: what the worker files next, and what a new request waits behind
            # (queries repeat the condition with ``state__literal_in=["received"]``).
            models.Index(
                fields=["team", "queue_score"],
                name="submission_backlog_idx",
                condition=models.Q(state__in=["received"]),
            ),
            # The minute sweep: claims of a worker that died (a handful of rows at any time).
            models.Index(
                fields=["claimed_at"],
                name="submission_filing_idx",
                condition=models.Q(state__in=["filing"]),
            ),
            # The daily purge of filed rows past their retention (written when a row is filed,
            # not when it is accepted: the intake's insert does not pay for it).
            models.Index(
                fields=["received_at"],
                name="submission_filed_idx",
                condition=models.Q(state__in=["filed"]),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return format_reference(self.pk)

    @property
    def joined_open_ticket(self) -> bool:
        """Filed as a follow-up of an open ticket: its reserved id (reference) is unused."""
        return self.state == SubmissionState.FILED and self.ticket_id != self.pk

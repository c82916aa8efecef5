from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_opt_out_token() -> str:
    return secrets.token_urlsafe(18)


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    attributes = models.JSONField(
        _("attributes"),
        default=dict,
        blank=True,
        help_text=_('Free attributes used by triage rules, e.g. {"vip": true}.'),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Broadcasts are not sent to a customer who opted out (the link in every broadcast).
    broadcast_opt_out_at = models.DateTimeField(_("opted out of broadcasts"), null=True, blank=True)
    opt_out_token = models.CharField(
        max_length=40, unique=True, default=new_opt_out_token, editable=False
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    @property
    def primary_email(self) -> str:
        for identity in self.identities.all():
            if identity.kind == IdentityKind.EMAIL:
                return identity.value
        return ""


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    CHAT = "chat", _("Chat visitor")
    MESSAGING = "messaging", _("Messaging handle")


class Identity(models.Model):
    """How we reach a customer on one channel. ``value`` is normalised (lower-case email, E.164)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(_("kind"), max_length=12, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=320)
    verified = models.BooleanField(_("verified"), default=False)
    bounced_at = models.DateTimeField(_("bounced"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Booking(models.Model):
    """A customer's booking (trip, ship or route, departure), imported or entered; incidents
    select the affected customers through their bookings."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bookings")
    reference = models.CharField(_("booking reference"), max_length=40)
    trip = models.CharField(_("trip"), max_length=120, blank=True)
    ship = models.CharField(_("ship"), max_length=120, blank=True)
    route = models.CharField(_("route"), max_length=120, blank=True)
    product = models.CharField(_("product"), max_length=120, blank=True)
    departure_date = models.DateField(_("departure date"), null=True, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    source = models.ForeignKey(
        "CustomerImport", null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "reference"], name="booking_unique_per_customer"
            )
        ]
        indexes = [
            models.Index(fields=["reference"], name="booking_reference_idx"),
            # Intake links a request to an incident by its booking reference, any case.
            models.Index(Upper("reference"), name="booking_reference_upper_idx"),
            models.Index(fields=["ship", "departure_date"], name="booking_ship_idx"),
            models.Index(fields=["route", "departure_date"], name="booking_route_idx"),
            models.Index(fields=["trip"], name="booking_trip_idx"),
            models.Index(fields=["departure_date"], name="booking_departure_idx"),
        ]

    def __str__(self) -> str:
        return self.reference


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class CustomerImport(models.Model):
    """An uploaded list of affected customers and bookings (CSV or XLSX) and its report.

    ``mapping``: our field → the file's column (name, email, phone, language, reference, trip,
    ship, route, product, departure_date, tags). ``report``: rejected rows with their reasons.
    """

    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    filename = models.CharField(_("file name"), max_length=255)
    mapping = models.JSONField(_("column mapping"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    total_rows = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    report = models.JSONField(_("rejected rows"), default=list, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer import")
        verbose_name_plural = _("customer imports")

    def __str__(self) -> str:
        return self.filename


class CustomerMerge(models.Model):
    """An agent merged ``source`` into ``target``; ``moved`` lists what moved, so the merge can
    be undone exactly (``undone_at``) and the history of both stays readable."""

    source = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="merges_out", verbose_name=_("merged")
    )
    target = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="merges_in", verbose_name=_("kept")
    )
    # {"identities": [ids], "tickets": [ids], "bookings": [ids], "contacts": [ids]}
    moved = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("merged at"), default=timezone.now)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("customer merge")
        verbose_name_plural = _("customer merges")

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"

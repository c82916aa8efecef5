from __future__ import annotations

import re
import secrets
import unicodedata
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_opt_out_token() -> str:
    return secrets.token_urlsafe(18)


# Names as people type them on different keyboards and forms: Arabic yeh and kaf in Persian,
# the Turkish dotless ı, zero-width joiners and the tatweel; accents go (Ayşe = Ayse).
_NAME_FOLD = str.maketrans(
    {"ي": "ی", "ى": "ی", "ك": "ک", "ı": "i", "\u200c": " ", "\u200d": None, "\u0640": None}
)
_NAME_WORD = re.compile(r"[^\W\d_]{2,}")
# Titles that are not part of anyone's name (en, tr, fa, lt).
_TITLES = frozenset(
    {
        *("mr", "mrs", "ms", "miss", "dr", "prof", "sir", "madam"),
        *("bay", "bayan", "sayin", "hanim", "bey"),
        *("agha", "aghaye", "khanom", "آقا", "آقای", "خانم", "جناب", "سرکار", "دکتر"),
        *("ponas", "ponia", "panele"),
    }
)
# Lithuanian surnames change with gender and marriage (Kazlauskas, Kazlauskienė,
# Kazlauskaitė): the family key keeps the stem. Longest endings first.
_FAMILY_ENDINGS = ("iene", "aite", "iute", "yte", "ute", "ius", "as", "is", "ys", "us")


def name_tokens(name: str) -> list[str]:
    """A name's words, folded (case, accents, keyboard variants), titles dropped, in order."""
    text = unicodedata.normalize("NFKC", name).casefold().translate(_NAME_FOLD)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [w for w in _NAME_WORD.findall(text) if w not in _TITLES]


def name_keys(name: str) -> tuple[str, str]:
    """(name key, family key) of a name, for finding the same person or the same family among
    customers (``customer_name_key_idx``, ``customer_family_key_idx``).

    The name key is the folded words sorted ("Yılmaz, Ayşe" = "ayse yilmaz"); the family key
    the stem of the family name — the last word, or the word before a comma — of a name of at
    least two words, "" otherwise."""
    tokens = name_tokens(name)
    key = " ".join(sorted(dict.fromkeys(tokens)))[:200]
    if len(tokens) < 2:
        return key, ""
    family = tokens[-1]
    if "," in name:
        before = name_tokens(name.split(",", 1)[0])
        family = before[-1] if before else family
    for ending in _FAMILY_ENDINGS:
        if family.endswith(ending) and len(family) - len(ending) >= 3:
            family = family[: -len(ending)]
            break
    return key, family[:100]


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    # ``name_keys(name)``, kept by ``save``: merge suggestions for a contact from an identity
    # we do not know yet find the same name (or family) among customers with open tickets.
    name_key = models.CharField(max_length=200, blank=True, default="", editable=False)
    family_key = models.CharField(max_length=100, blank=True, default="", editable=False)
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
    # This customer's first contact came by a new identity but typed one of another
    # customer's (a chat's email, a form's phone): perhaps the same person, perhaps not.
    # Their tickets are suggested to each other ("shares_identity"), never joined.
    shares_identity_with = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("typed an identity of"),
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            models.Index(fields=["name_key"], name="customer_name_key_idx"),
            models.Index(fields=["family_key"], name="customer_family_key_idx"),
        ]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.set_name_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_key", "family_key"}
        super().save(*args, **kwargs)

    def set_name_keys(self) -> None:
        """``name_key``/``family_key`` from ``name`` (``save`` does it; ``bulk_create`` not)."""
        self.name_key, self.family_key = name_keys(self.name)

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

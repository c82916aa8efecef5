"""Reads of the mail app: which mailbox takes a recipient, what the health page lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import getaddresses

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import InboundEmail, InboundStatus, Mailbox

# A RECEIVED message older than this was not processed (a crash between storing and
# processing): the sweep processes it again and the health page lists it.
STUCK_AFTER = timedelta(minutes=5)


def _bare_address(value: str) -> str:
    """'Help <Help@Example.COM>' or 'help@example.com' → 'help@example.com'."""
    value = (value or "").strip()
    if "<" in value or "," in value or '"' in value:
        pairs = getaddresses([value])
        value = pairs[0][1] if pairs else ""
    return value.strip().strip("<>").lower()


def _mailbox_index() -> tuple[dict[str, Mailbox], dict[str, Mailbox]]:
    """(address or alias → mailbox, catch-all domain → mailbox) of the active mailboxes; the
    oldest mailbox wins a name two of them claim."""
    exact: dict[str, Mailbox] = {}
    domains: dict[str, Mailbox] = {}
    for mailbox in Mailbox.objects.filter(active=True).select_related("team").order_by("pk"):
        exact.setdefault(mailbox.address.strip().lower(), mailbox)
        for alias in mailbox.aliases or []:
            if isinstance(alias, str) and alias.strip():
                exact.setdefault(alias.strip().lower(), mailbox)
        domain = mailbox.catch_all_domain.strip().lower().lstrip("@")
        if domain:
            domains.setdefault(domain, mailbox)
    return exact, domains


def mailbox_for_recipients(recipients: Sequence[str]) -> Mailbox | None:
    """The active mailbox a message sent to ``recipients`` belongs to: the first recipient that
    is a mailbox's ``address`` or one of its ``aliases`` (case-insensitive); else the first
    recipient whose domain is a mailbox's ``catch_all_domain``. An exact address always wins
    over a domain, whatever the order of the recipients."""
    addresses = [a for a in (_bare_address(r) for r in recipients) if "@" in a]
    if not addresses:
        return None
    exact, domains = _mailbox_index()
    for address in addresses:
        if address in exact:
            return exact[address]
    for address in addresses:
        domain = address.rpartition("@")[2]
        if domain in domains:
            return domains[domain]
    return None


def mailbox_per_recipient(recipients: Sequence[str]) -> dict[str, Mailbox | None]:
    """Each recipient's mailbox, as ``mailbox_for_recipients([recipient])`` finds it, in one
    query."""
    exact, domains = _mailbox_index()
    found: dict[str, Mailbox | None] = {}
    for recipient in recipients:
        address = _bare_address(recipient)
        if "@" not in address:
            found[recipient] = None
            continue
        found[recipient] = exact.get(address) or domains.get(address.rpartition("@")[2])
    return found


def mailbox_addresses() -> set[str]:
    """Every address our mailboxes receive at (to leave them out of reply-all and to never
    treat our own mail as a customer's)."""
    found: set[str] = set()
    for address, aliases in Mailbox.objects.values_list("address", "aliases"):
        found.add(address.strip().lower())
        found.update(a.strip().lower() for a in aliases or [] if isinstance(a, str))
    return found


@dataclass
class HealthRow:
    inbound: InboundEmail
    stuck: bool  # RECEIVED for longer than STUCK_AFTER


def inbound_needing_attention(
    *, now: datetime | None = None, limit: int = 200
) -> QuerySet[InboundEmail]:
    """Failed messages, and messages stored but still not processed after ``STUCK_AFTER``
    (the health page). Newest first; the raw bytes are not loaded."""
    now = now or timezone.now()
    return (
        InboundEmail.objects.filter(
            Q(status=InboundStatus.FAILED)
            | Q(status=InboundStatus.RECEIVED, received_at__lt=now - STUCK_AFTER)
        )
        .select_related("mailbox")
        .defer("raw")
        .order_by("-received_at", "-pk")[:limit]
    )


def inbound_stuck_ids(*, now: datetime | None = None, max_attempts: int = 5) -> list[int]:
    """RECEIVED messages older than ``STUCK_AFTER`` that may be processed again (the sweep)."""
    now = now or timezone.now()
    return list(
        InboundEmail.objects.filter(
            status=InboundStatus.RECEIVED,
            received_at__lt=now - STUCK_AFTER,
            attempts__lt=max_attempts,
        )
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)[:500]
    )


def mailboxes_health() -> QuerySet[Mailbox]:
    return Mailbox.objects.select_related("team").order_by("name", "pk")


def recent_from_sender(*, mailbox: Mailbox, address: str, since: datetime) -> int:
    """How many messages ``address`` sent to ``mailbox`` since ``since`` (loop protection)."""
    return InboundEmail.objects.filter(
        mailbox=mailbox, from_address=address, received_at__gte=since
    ).count()

"""An agent's reply by email: From the mailbox the customer wrote to, threaded under their mail.

Registered for ``Channel.EMAIL`` with ``conversations.outbound.register_reply_sender`` (see
``MailConfig.ready``); it also answers tickets whose channel has no sender of its own (form,
API, phone) and replies a chat or messaging sender could not deliver.

- **From / Reply-To**: the mailbox of the customer's last mail on the ticket, else the team's
  mailbox, else the team's address (``replies.services``).
- **To**: the address the customer wrote from; an address that bounced is skipped for another
  of the customer's addresses, or the reply is kept unsent (a SUPPRESSED outbox row the agent
  sees on the message, and a DELIVERY event).
- **Cc**: whoever else the customer's last mail went to (reply-all), not our own addresses.
- **Threading**: a new unguessable Message-ID (stored on the message and the outbox row),
  In-Reply-To the customer's last Message-ID, References its chain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from email.utils import formataddr

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.conversations.models import Contact
from calmdesk.core.errors import DomainError
from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.customers.services import normalize_email
from calmdesk.replies.services import agent_reply_queue
from calmdesk.tickets.enums import Channel, EventType, MessageKind
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import Message, Ticket

from .models import EmailDetails, InboundEmail, Mailbox
from .selectors import mailbox_addresses

log = logging.getLogger(__name__)


# ------------------------------------------------------------------------------------------
# Where the reply comes from and goes to
# ------------------------------------------------------------------------------------------


def reply_mailbox(ticket: Ticket) -> Mailbox | None:
    """The mailbox the customer last wrote to on this ticket (also through a ticket merged into
    it), else the first active mailbox of the ticket's team."""
    last = (
        InboundEmail.objects.filter(
            Q(ticket_id=ticket.pk) | Q(message__ticket_id=ticket.pk), mailbox__active=True
        )
        .select_related("mailbox")
        .order_by("-received_at", "-pk")
        .first()
    )
    if last is not None:
        return last.mailbox
    if ticket.team_id is None:
        return None
    return Mailbox.objects.filter(team_id=ticket.team_id, active=True).order_by("pk").first()


def mailbox_sender(mailbox: Mailbox) -> tuple[str, str]:
    """(From, Reply-To) of mail sent from ``mailbox``."""
    name = mailbox.from_name or (mailbox.team.name if mailbox.team else "") or mailbox.name
    return formataddr((name, mailbox.address)), mailbox.reply_to or mailbox.address


@dataclass
class Recipient:
    address: str = ""
    # The address the customer used, when it bounced and was skipped (or nothing else was left).
    bounced: str = ""
    alternatives: list[str] = field(default_factory=list)


def _is_email(value: str) -> bool:
    return "@" in value and " " not in value.strip()


def _normal(value: str) -> str:
    """The normalised address, or "" for something that is not one."""
    try:
        return normalize_email(value) if value else ""
    except DomainError:
        return ""


def reply_recipient(ticket: Ticket, contact: Contact | None) -> Recipient:
    """The customer's address for this reply, skipping addresses that bounced."""
    wanted = ""
    if contact is not None and contact.channel == Channel.EMAIL:
        if contact.identity is not None and contact.identity.kind == IdentityKind.EMAIL:
            wanted = contact.identity.value
        elif _is_email(contact.address):
            wanted = contact.address
    if not wanted:
        last_mail = (
            Contact.objects.filter(ticket_id=ticket.pk, channel=Channel.EMAIL)
            .exclude(address="")
            .order_by("-at", "-id")
            .values_list("address", flat=True)
            .first()
        )
        if last_mail and _is_email(last_mail):
            wanted = last_mail
    wanted = _normal(wanted)
    identities = list(
        Identity.objects.filter(customer_id=ticket.customer_id, kind=IdentityKind.EMAIL).order_by(
            "-verified", "-created_at", "-pk"
        )
    )
    bounced = {i.value for i in identities if i.bounced_at is not None}
    if wanted and wanted not in bounced:
        # An address of the contact not stored as an identity (yet) cannot have bounced here.
        return Recipient(address=wanted)
    usable = [i.value for i in identities if i.bounced_at is None]
    if usable:
        return Recipient(address=usable[0], bounced=wanted, alternatives=usable[1:])
    return Recipient(address="", bounced=wanted or next(iter(sorted(bounced)), ""))


# ------------------------------------------------------------------------------------------
# Threading and reply-all
# ------------------------------------------------------------------------------------------


@dataclass
class Thread:
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)


def _details(message: Message) -> EmailDetails | None:
    try:
        return message.email_details
    except ObjectDoesNotExist:
        return None


def _pairs(value: object) -> list[str]:
    """[["Name", "addr"], ...] or ["addr", ...] → ["addr", ...] (lower-case)."""
    found = []
    for item in value if isinstance(value, list) else []:
        address = item[-1] if isinstance(item, list | tuple) and item else item
        if isinstance(address, str) and _is_email(address):
            found.append(address.strip().lower())
    return found


def reply_thread(ticket: Ticket, *, to: str, reply_all: bool) -> Thread:
    """In-Reply-To and References from the customer's last mail on the ticket (and our last
    reply after it), and with ``reply_all`` the other people that mail was sent to."""
    last_mail = (
        Message.objects.filter(ticket_id=ticket.pk, kind=MessageKind.INBOUND, channel=Channel.EMAIL)
        .exclude(external_id="")
        .order_by("-created_at", "-id")
        .first()
    )
    if last_mail is None:
        return Thread()
    details = _details(last_mail)
    references = details.references.split() if details is not None else []
    parent = last_mail.external_id
    references.append(parent)
    ours = (
        Message.objects.filter(
            ticket_id=ticket.pk,
            kind=MessageKind.OUTBOUND,
            created_at__gte=last_mail.created_at,
        )
        .exclude(external_id="")
        .order_by("-created_at", "-id")
        .values_list("external_id", flat=True)
        .first()
    )
    if ours:
        references.append(ours)
    thread = Thread(in_reply_to=parent, references=list(dict.fromkeys(references)))
    if reply_all and details is not None:
        thread.cc = _reply_all(
            _pairs(details.to_addresses) + _pairs(details.cc_addresses),
            customer_id=ticket.customer_id,
            to=to,
        )
    return thread


def _reply_all(addresses: list[str], *, customer_id: int, to: str) -> list[str]:
    """The Cc of a reply-all: not the customer, not any of our mailboxes (their addresses,
    aliases or catch-all domains), not an address that bounced."""
    candidates = [a for a in dict.fromkeys(addresses) if a != to]
    if not candidates:
        return []
    ours = mailbox_addresses()
    domains = {
        d.strip().lower().lstrip("@")
        for d in Mailbox.objects.exclude(catch_all_domain="").values_list(
            "catch_all_domain", flat=True
        )
    }
    skip = set(
        Identity.objects.filter(kind=IdentityKind.EMAIL, value__in=candidates)
        .filter(Q(customer_id=customer_id) | Q(bounced_at__isnull=False))
        .values_list("value", flat=True)
    )
    return [
        a
        for a in candidates
        if a not in ours and a.rpartition("@")[2] not in domains and a not in skip
    ]


# ------------------------------------------------------------------------------------------
# The sender
# ------------------------------------------------------------------------------------------


def email_reply_send(*, ticket: Ticket, message: Message, contact: Contact | None) -> bool:
    """Queue ``message`` (an agent's reply) by email. Runs inside the reply's transaction.

    Always takes the reply (returns True): when no address can receive it, the reply is kept
    unsent and the agent sees why on the message and in the timeline.
    """
    recipient = reply_recipient(ticket, contact)
    mailbox = reply_mailbox(ticket)
    from_address, reply_to = mailbox_sender(mailbox) if mailbox is not None else (None, None)
    if not recipient.address:
        _undeliverable(ticket=ticket, message=message, recipient=recipient)
        return True
    reply_all = contact is not None and contact.channel == Channel.EMAIL
    thread = reply_thread(ticket, to=recipient.address, reply_all=reply_all)
    row = agent_reply_queue(
        ticket=ticket,
        message=message,
        to=recipient.address,
        from_address=from_address,
        reply_to=reply_to,
        in_reply_to=thread.in_reply_to,
        references=thread.references,
        cc=thread.cc,
    )
    if row is not None and recipient.bounced:
        record_event(
            ticket,
            EventType.DELIVERY,
            data={
                "message": message.pk,
                "reason": "bounced_address_skipped",
                "bounced": recipient.bounced,
                "to": recipient.address,
                "outbox": row.pk,
            },
        )
    return True


def _undeliverable(*, ticket: Ticket, message: Message, recipient: Recipient) -> None:
    """No address can take the reply: keep an unsent (SUPPRESSED) delivery row on the message,
    so the agent sees it on the reply, and record why."""
    reason = "bounced" if recipient.bounced else "no_address"
    row = None
    if recipient.bounced:
        row = agent_reply_queue(ticket=ticket, message=message, to=recipient.bounced)
        if row is not None:
            # Still inside the reply's transaction: the delivery task scheduled on commit
            # finds the row no longer pending and sends nothing.
            error = _(
                "Not sent: %(address)s bounced earlier. Ask the customer for another address."
            )
            OutboxMessage.objects.filter(pk=row.pk).update(
                status=OutboxStatus.SUPPRESSED,
                next_attempt_at=None,
                last_error=error % {"address": recipient.bounced},
            )
    record_event(
        ticket,
        EventType.DELIVERY,
        at=timezone.now(),
        data={
            "message": message.pk,
            "reason": reason,
            "to": recipient.bounced,
            "outbox": row.pk if row is not None else None,
        },
    )
    log.info("reply %s on ticket %s not sent by email: %s", message.pk, ticket.pk, reason)

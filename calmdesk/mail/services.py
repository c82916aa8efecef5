"""Writes of the mail app: what a stored inbound email becomes.

``inbound_process`` (called by ``ingest.mail_receive``/``mail_replay`` inside one
transaction) decides, in this order:

1. an empty message, or mail from one of our own mailboxes → IGNORED;
2. a bounce → BOUNCE: the outgoing mail it returns is marked bounced, the failed address's
   identity gets ``bounced_at`` and the ticket a DELIVERY event. Only when the bounce returns
   a mail we really sent (its Message-ID): a forged bounce marks nothing;
3. more than ``MAIL_LOOP_MAX_PER_HOUR`` mails from one sender to one mailbox in an hour →
   IGNORED (a mail loop with another robot);
4. an auto-reply (out-of-office, vacation, read receipt, …) → IGNORED, linked to the ticket it
   answers when there is one. Never a ticket, never answered, never reopens anything;
5. automated mail (``Auto-Submitted: auto-generated``, bulk, lists, no-reply senders) → a
   contact that is never acknowledged, and IGNORED when it answers a solved or closed ticket
   (a robot does not reopen a conversation);
6. an agent forwarding a customer's mail into the mailbox → a contact from the ORIGINAL sender,
   the agent's own words above the forward as an internal note;
7. everything else → ``conversations.contact_receive`` with the thread ``threads.find_thread``
   found: a new ticket, a message on its thread, or a follow-up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.conversations.services import InboundContact, contact_receive
from calmdesk.core.errors import DomainError
from calmdesk.core.models import OutboxMessage, OutboxStatus
from calmdesk.customers.models import Identity, IdentityKind
from calmdesk.customers.services import normalize_email
from calmdesk.tickets.enums import Channel, EventType, TicketStatus
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import Message, Ticket
from calmdesk.tickets.services import sanitize_html, text_to_html, ticket_add_note

from . import detect as detection
from .models import EmailDetails, InboundEmail, InboundStatus, Mailbox
from .parsing import (
    Address,
    ForwardedMessage,
    ParsedAttachment,
    ParsedEmail,
    SkippedAttachment,
    bare_subject,
    forwarded_in_text,
    is_forward_subject,
    parse_email,
)
from .quotes import strip_quoted, strip_quoted_html
from .selectors import mailbox_addresses, recent_from_sender
from .threads import ThreadMatch, find_thread

logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 50 * 1024 * 1024
DEFAULT_LOOP_MAX_PER_HOUR = 20


def max_attachment_bytes() -> int:
    return int(getattr(settings, "MAIL_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES))


def max_total_bytes() -> int:
    return int(getattr(settings, "MAIL_MAX_TOTAL_ATTACHMENT_BYTES", DEFAULT_MAX_TOTAL_BYTES))


def loop_max_per_hour() -> int:
    return int(getattr(settings, "MAIL_LOOP_MAX_PER_HOUR", DEFAULT_LOOP_MAX_PER_HOUR))


@dataclass
class _Content:
    """What the contact says, after forwards and quotes are dealt with."""

    sender: Address
    subject: str
    text: str
    display_html: str
    full_html: str
    attachments: list[ParsedAttachment]
    forwarded_by: str = ""
    agent_note: str = ""


def inbound_process(inbound: InboundEmail, *, now: datetime | None = None) -> InboundEmail:
    """Turn a stored email into what it is (module docstring). Raises on a real failure (the
    caller keeps the row FAILED with the error)."""
    now = now or timezone.now()
    mailbox = inbound.mailbox
    raw = bytes(inbound.raw)
    if not raw.strip():
        return _finish(inbound, InboundStatus.IGNORED, reason=_("Empty message"), now=now)
    parsed = parse_email(
        raw, max_attachment_bytes=max_attachment_bytes(), max_total_bytes=max_total_bytes()
    )
    sender = _sender(parsed, inbound.envelope_from)
    inbound.subject = parsed.subject[:300]
    inbound.from_address = sender.address[:320]
    inbound.save(update_fields=["subject", "from_address"])

    if sender.address and sender.address in mailbox_addresses():
        return _finish(
            inbound, InboundStatus.IGNORED, reason=_("Sent by one of our own mailboxes"), now=now
        )
    verdict = detection.detect(parsed, envelope_from=inbound.envelope_from)
    if verdict.kind == detection.BOUNCE:
        return _bounce(inbound, verdict, now=now)
    if sender.address and _looping(inbound, mailbox, sender.address, now=now):
        return _finish(
            inbound,
            InboundStatus.IGNORED,
            reason=_("Mail loop: more than %(count)s mails in an hour from this sender")
            % {"count": loop_max_per_hour()},
            now=now,
        )
    if verdict.kind == detection.AUTO_REPLY:
        thread = find_thread(parsed=parsed, sender=sender.address)
        return _finish(
            inbound,
            InboundStatus.IGNORED,
            reason=_("Automatic reply (%(why)s)") % {"why": verdict.reason},
            ticket=thread.ticket,
            now=now,
        )
    if not sender.address:
        return _finish(
            inbound, InboundStatus.IGNORED, reason=_("No sender address to answer"), now=now
        )

    content = _content(parsed, sender)
    thread = ThreadMatch()
    if not content.forwarded_by:
        thread = find_thread(parsed=parsed, sender=content.sender.address)
    automated = verdict.kind == detection.AUTOMATED
    if (
        automated
        and thread.ticket is not None
        and thread.ticket.status in (TicketStatus.SOLVED, TicketStatus.CLOSED)
    ):
        return _finish(
            inbound,
            InboundStatus.IGNORED,
            reason=_("Automated mail to a solved request (%(why)s)") % {"why": verdict.reason},
            ticket=thread.ticket,
            now=now,
        )
    result = contact_receive(
        InboundContact(
            channel=Channel.EMAIL,
            identities=[(IdentityKind.EMAIL, content.sender.address)],
            name=content.sender.name[:200],
            subject=content.subject,
            body_text=content.text,
            body_html=content.display_html,
            attachments=[_upload(a) for a in content.attachments],
            language=_language(parsed.language),
            team=mailbox.team,
            thread=thread.ticket,
            external_key=f"email:{mailbox.pk}:{inbound.dedup_key}"[:255],
            external_id=parsed.message_id if len(parsed.message_id) <= 255 else "",
            auto_submitted=automated,
            incident_hint=thread.incident_slug,
        ),
        now=now,
    )
    message = result.message
    if message is None and result.contact is not None:
        message = result.contact.message
    if message is not None:
        _store_details(message, inbound, parsed, content, thread)
        if content.agent_note and content.forwarded_by and result.created:
            _agent_note(result.ticket, content, now=now)
    return _finish(
        inbound,
        InboundStatus.PROCESSED,
        reason=_("Automated mail, not acknowledged (%(why)s)") % {"why": verdict.reason}
        if automated
        else "",
        ticket=result.ticket,
        message=message,
        now=now,
    )


def _finish(
    inbound: InboundEmail,
    status: str,
    *,
    reason: str = "",
    ticket: Ticket | None = None,
    message: Message | None = None,
    now: datetime,
) -> InboundEmail:
    inbound.status = status
    inbound.reason = reason[:200]
    inbound.error = ""
    inbound.ticket = ticket
    inbound.message = message
    inbound.processed_at = now
    inbound.save(update_fields=["status", "reason", "error", "ticket", "message", "processed_at"])
    return inbound


def _normalised(address: str) -> str:
    try:
        return normalize_email(address)
    except DomainError:
        return ""


def _sender(parsed: ParsedEmail, envelope_from: str) -> Address:
    """The customer's address: From, else Sender, Reply-To, Return-Path, the envelope sender —
    the first that is a valid address, normalised. Empty when none is."""
    for candidate in parsed.sender_candidates:
        address = _normalised(candidate.address)
        if address:
            name = candidate.name or parsed.sender.name
            return Address(name, address)
    address = _normalised(envelope_from.strip().strip("<>"))
    return Address(parsed.sender.name, address)


def _looping(inbound: InboundEmail, mailbox: Mailbox, address: str, *, now: datetime) -> bool:
    sent = recent_from_sender(mailbox=mailbox, address=address, since=now - timedelta(hours=1))
    return sent > loop_max_per_hour()  # this message is counted too


def _language(value: str) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    return value if value in codes else settings.LANGUAGE_CODE.split("-")[0]


def _is_agent_address(address: str) -> bool:
    return _agent_user(address) is not None


def _agent_user(address: str) -> object | None:
    """The active agent whose account has this email address."""
    user_model = get_user_model()
    return (
        user_model.objects.filter(email__iexact=address, is_active=True, agent__isnull=False)
        .order_by("pk")
        .first()
    )


def _content(parsed: ParsedEmail, sender: Address) -> _Content:
    full_html = sanitize_html(parsed.html) if parsed.html.strip() else ""
    forwarded = _agent_forward(parsed, sender)
    if forwarded is not None:
        original, note = forwarded
        text = original.text.strip()
        return _Content(
            sender=original.sender,
            subject=bare_subject(original.subject or parsed.subject),
            text=_with_skipped(text, parsed.skipped),
            display_html="",
            full_html=full_html,
            attachments=parsed.attachments,
            forwarded_by=sender.address,
            agent_note=note,
        )
    keep_all = parsed.forwarded is not None or is_forward_subject(parsed.subject)
    text = parsed.text if keep_all else strip_quoted(parsed.text)
    display_html = ""
    if parsed.html.strip():
        trimmed = None if keep_all else strip_quoted_html(parsed.html)
        if trimmed is not None and trimmed.strip():
            display_html = trimmed
        elif keep_all or text.strip() == parsed.text.strip():
            display_html = parsed.html
        # else: the quote was found in the text only; the text shows the new part.
    text = _with_skipped(text, parsed.skipped)
    if display_html and parsed.skipped:
        display_html += text_to_html(_skipped_note(parsed.skipped))
    return _Content(
        sender=sender,
        subject=parsed.subject,
        text=text,
        display_html=display_html,
        full_html=full_html,
        attachments=parsed.attachments,
    )


def _agent_forward(parsed: ParsedEmail, sender: Address) -> tuple[ForwardedMessage, str] | None:
    """(the forwarded mail, the agent's words above it) when an active agent forwarded a
    customer's mail into the mailbox."""
    if not _is_agent_address(sender.address):
        return None
    forwarded = parsed.forwarded
    note = ""
    if forwarded is not None:
        marker = _("---------- Forwarded message ----------")
        note = parsed.text.split(marker, 1)[0].strip() if marker in parsed.text else ""
    else:
        forwarded = forwarded_in_text(parsed.text)
        if forwarded is not None:
            note = _text_above_forward(parsed.text, forwarded)
    if forwarded is None:
        return None
    address = _normalised(forwarded.sender.address)
    if not address or address == sender.address or _is_agent_address(address):
        return None
    forwarded.sender = Address(forwarded.sender.name, address)
    return forwarded, note


def _text_above_forward(text: str, forwarded: ForwardedMessage) -> str:
    from .parsing import _FORWARD_MARKER

    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        if _FORWARD_MARKER.match(line):
            return "\n".join(lines[:index]).strip()
    return ""


def _skipped_note(skipped: list[SkippedAttachment]) -> str:
    lines = []
    for item in skipped:
        if item.reason == "too_many":
            why = _("too many attachments")
        elif item.reason == "total_too_large":
            why = _("the attachments together are over the limit of %(limit)s") % {
                "limit": filesizeformat(max_total_bytes())
            }
        else:
            why = _("larger than the limit of %(limit)s") % {
                "limit": filesizeformat(max_attachment_bytes())
            }
        lines.append(
            _("[Attachment not stored: %(name)s (%(size)s), %(why)s]")
            % {"name": item.filename, "size": filesizeformat(item.size), "why": why}
        )
    return "\n".join(lines)


def _with_skipped(text: str, skipped: list[SkippedAttachment]) -> str:
    if not skipped:
        return text
    return f"{text.rstrip()}\n\n{_skipped_note(skipped)}".strip()


def _upload(attachment: ParsedAttachment) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        attachment.filename,
        attachment.content,
        content_type=attachment.content_type or "application/octet-stream",
    )


def _store_details(
    message: Message,
    inbound: InboundEmail,
    parsed: ParsedEmail,
    content: _Content,
    thread: ThreadMatch,
) -> None:
    headers = parsed.headers_display
    EmailDetails.objects.update_or_create(
        message=message,
        defaults={
            "inbound": inbound,
            "from_header": headers.get("From", ""),
            "to_header": headers.get("To", ""),
            "cc_header": headers.get("Cc", ""),
            "reply_to_header": headers.get("Reply-To", ""),
            "to_addresses": [a.as_pair() for a in parsed.to if a.address],
            "cc_addresses": [a.as_pair() for a in parsed.cc if a.address],
            "header_message_id": parsed.message_id,
            "in_reply_to": " ".join(parsed.in_reply_to)[:5000],
            "references": " ".join(parsed.references)[:20000],
            "full_html": content.full_html,
            "threaded_by": thread.by,
            "forwarded_by": content.forwarded_by,
        },
    )


def _agent_note(ticket: Ticket, content: _Content, *, now: datetime) -> None:
    agent = _agent_user(content.forwarded_by)
    if agent is None:
        return
    ticket_add_note(
        ticket=ticket,
        actor=agent,  # type: ignore[arg-type]
        body_text=_("Forwarded by email: %(note)s") % {"note": content.agent_note},
        now=now,
    )


# ------------------------------------------------------------------------------------------
# Bounces
# ------------------------------------------------------------------------------------------


def _bounce(inbound: InboundEmail, verdict: detection.Detection, *, now: datetime) -> InboundEmail:
    """Mark the outgoing mail the bounce returns, its recipient's identity and its ticket."""
    rows = _bounced_outbox(verdict.original_ids)
    if not rows:
        return _finish(
            inbound,
            InboundStatus.BOUNCE,
            reason=_("Bounce for a message we did not send (nothing marked)"),
            now=now,
        )
    ticket: Ticket | None = None
    marked: list[str] = []
    for row in rows:
        failed = _failed_for(row, verdict.failed)
        recipient = _normalised(failed.address if failed else row.to)
        diagnostic = (failed.diagnostic or failed.status) if failed else verdict.reason
        row.status = OutboxStatus.BOUNCED
        row.last_error = (diagnostic or _("Bounced"))[:2000]
        row.save(update_fields=["status", "last_error"])
        if recipient:
            updated = Identity.objects.filter(
                kind=IdentityKind.EMAIL, value=recipient, bounced_at__isnull=True
            ).update(bounced_at=now)
            if updated or recipient not in marked:
                marked.append(recipient)
        if row.ticket_id:
            if ticket is None or ticket.pk != row.ticket_id:
                ticket = Ticket.objects.get(pk=row.ticket_id)
            record_event(
                ticket,
                EventType.DELIVERY,
                at=now,
                data={
                    "outbox": row.pk,
                    "message": row.message_id,
                    "status": OutboxStatus.BOUNCED,
                    "recipient": recipient,
                    "dsn_status": failed.status if failed else "",
                    "diagnostic": row.last_error[:500],
                    "inbound": inbound.pk,
                },
            )
    return _finish(
        inbound,
        InboundStatus.BOUNCE,
        reason=(_("Bounced: %(addresses)s") % {"addresses": ", ".join(marked)})
        if marked
        else _("Bounced"),
        ticket=ticket,
        now=now,
    )


def _bounced_outbox(ids: list[str]) -> list[OutboxMessage]:
    ids = [i for i in dict.fromkeys(ids) if i][:20]
    if not ids:
        return []
    return list(
        OutboxMessage.objects.select_for_update()
        .filter(
            Q(provider_id__in=ids) | Q(**{"headers__Message-ID__in": ids}),
            channel="email",
        )
        .order_by("pk")
    )


def _failed_for(
    row: OutboxMessage, failed: list[detection.FailedRecipient]
) -> detection.FailedRecipient | None:
    """The failed recipient of ``row`` in the report (by address), else the only one."""
    wanted = _normalised(row.to.rpartition("<")[2].strip(">").strip() if "<" in row.to else row.to)
    for item in failed:
        if _normalised(item.address) == wanted:
            return item
    return failed[0] if len(failed) == 1 else None


def inbound_replay_all_stuck(*, now: datetime | None = None) -> int:
    """Process again every message stored but never processed (the sweep). Returns how many."""
    from .ingest import MAX_ATTEMPTS, mail_replay
    from .selectors import inbound_stuck_ids

    count = 0
    for pk in inbound_stuck_ids(now=now, max_attempts=MAX_ATTEMPTS):
        mail_replay(inbound_id=pk, now=now)
        count += 1
    give_up_stuck(now=now)
    return count


@transaction.atomic
def give_up_stuck(*, now: datetime | None = None) -> int:
    """RECEIVED messages that failed to finish ``MAX_ATTEMPTS`` times become FAILED, so the
    health page shows them with a reason."""
    from .ingest import MAX_ATTEMPTS
    from .selectors import STUCK_AFTER

    now = now or timezone.now()
    return InboundEmail.objects.filter(
        status=InboundStatus.RECEIVED,
        attempts__gte=MAX_ATTEMPTS,
        received_at__lt=now - STUCK_AFTER,
    ).update(
        status=InboundStatus.FAILED,
        error=_("Processing never finished after %(count)s attempts") % {"count": MAX_ATTEMPTS},
    )

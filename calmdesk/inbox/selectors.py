"""READS for the public pages: what a customer may see of their own ticket."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from calmdesk.core.errors import NotFound
from calmdesk.staffing.selectors import format_wait
from calmdesk.tickets.enums import MessageKind, TicketStatus
from calmdesk.tickets.models import Attachment, Message, Ticket
from calmdesk.tickets.permissions import access_ticket_by_token

from .models import Submission

# What the customer sees: their messages, our replies and automatic messages — never notes.
PUBLIC_MESSAGE_KINDS = (MessageKind.INBOUND, MessageKind.OUTBOUND, MessageKind.AUTO)


def public_messages(ticket: Ticket) -> QuerySet[Message]:
    return (
        Message.objects.filter(ticket=ticket, kind__in=PUBLIC_MESSAGE_KINDS)
        .select_related("author_user__agent")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def accepted_by_token(token: str) -> Submission:
    """The accepted request behind a private link whose ticket does not exist (yet): being
    filed, or added to an open request when it was filed. NotFound otherwise."""
    row = Submission.objects.filter(tracking_token=token).first() if token else None
    if row is None:
        raise NotFound()
    return row


def public_attachment(*, token: str, attachment_id: int) -> Attachment:
    """An attachment of the ticket behind ``token``, on a message the customer can see."""
    ticket = access_ticket_by_token(token)
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id, message__ticket=ticket, message__kind__in=PUBLIC_MESSAGE_KINDS
        )
        .select_related("message")
        .first()
    )
    if attachment is None:
        raise NotFound()
    return attachment


def wait_label(minutes: int | None) -> str:
    """The announced wait in words ("within about 6 hours"): the same wording as
    ``WaitEstimate.label`` in the autoresponder and the API."""
    return "" if minutes is None else format_wait(minutes)


def status_in_words(status: str) -> tuple[str, str]:
    """(short status, what it means for the customer)."""
    words = {
        TicketStatus.NEW: (
            _("Received"),
            _("Your request is in the queue. The first free agent will pick it up."),
        ),
        TicketStatus.OPEN: (
            _("In progress"),
            _("An agent is working on your request."),
        ),
        TicketStatus.PENDING: (
            _("Waiting for your reply"),
            _("We need something from you to go on. Please answer below."),
        ),
        TicketStatus.SOLVED: (
            _("Solved"),
            _("We think this is solved. If not, just reply below and we will reopen it."),
        ),
        TicketStatus.CLOSED: (
            _("Closed"),
            _("This request is closed. If you need more help, please send a new request."),
        ),
    }
    return words.get(TicketStatus(status), (status, ""))

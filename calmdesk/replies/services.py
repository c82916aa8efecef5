"""Templated mail to customers and leads, queued through the outbox.

Templates are ``MessageTemplate`` rows (kind, language), falling back to English and then to
the built-in texts in ``replies.defaults``. They are Django templates rendered from a string
with autoescaping off (the mail is plain text); the context holds plain strings only.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any

from django.conf import settings
from django.template import Context, Template, TemplateSyntaxError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override

from calmdesk.accounts.models import Team
from calmdesk.core.config_cache import ProcessCache
from calmdesk.core.models import OutboxMessage
from calmdesk.core.outbox import outbox_enqueue
from calmdesk.incidents.models import Incident
from calmdesk.staffing.selectors import WaitEstimate
from calmdesk.tickets.enums import EventType
from calmdesk.tickets.events import record_event
from calmdesk.tickets.models import Message, Ticket

from .defaults import DEFAULT_TEMPLATES
from .models import MessageTemplate, TemplateKind

log = logging.getLogger(__name__)

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


# ------------------------------------------------------------------------------------------
# Rendering
# ------------------------------------------------------------------------------------------


def _language(language: str | None) -> str:
    code = (language or "en")[:2].lower()
    return code if code in SUPPORTED_LANGUAGES else "en"


Compiled = tuple[Template, Template]


def _compile(kind: str, language: str, source: tuple[str, str] | None) -> Compiled:
    builtin = DEFAULT_TEMPLATES[kind].get(language) or DEFAULT_TEMPLATES[kind]["en"]
    if source is not None:
        try:
            return Template(source[0]), Template(source[1])
        except TemplateSyntaxError:
            log.exception(
                "message template %s/%s is broken; using the built-in one", kind, language
            )
    return Template(builtin[0]), Template(builtin[1])


def _load_templates() -> dict[tuple[str, str], Compiled]:
    """Every (kind, language), compiled once: the edited row → its English row → built-in."""
    rows = {
        (row.kind, row.language): (row.subject, row.body) for row in MessageTemplate.objects.all()
    }
    return {
        (kind, language): _compile(
            kind, language, rows.get((kind, language)) or rows.get((kind, "en"))
        )
        for kind in TemplateKind.values
        for language in SUPPORTED_LANGUAGES
    }


# Compiled templates, kept per process (one acknowledgement per intake); saving a template
# reloads them everywhere.
TEMPLATES: ProcessCache[dict[tuple[str, str], Compiled]] = ProcessCache(
    "reply-templates", _load_templates, ttl=60
)


def render_message(*, kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """Rendered (subject, text body) in ``language`` (a broken edit falls back to built-in)."""
    language = _language(language)
    subject, body = TEMPLATES.get()[(kind, language)]
    with override(language):
        ctx = Context(context, autoescape=False)
        return " ".join(subject.render(ctx).split())[:300], body.render(ctx).strip() + "\n"


def check_template_syntax(source: str) -> str | None:
    """The syntax error of an admin-edited template, or None when it compiles."""
    try:
        Template(source)
    except TemplateSyntaxError as exc:
        return str(exc)
    return None


# ------------------------------------------------------------------------------------------
# Addresses and threading headers
# ------------------------------------------------------------------------------------------


def mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "calmdesk.invalid"


def ack_message_id(ticket: Ticket) -> str:
    """The acknowledgement's Message-ID: every later mail of the ticket threads under it.

    Unguessable (a keyed hash of the ticket with the site's secret), so a mail citing it in
    In-Reply-To/References proves it answers our mail; and reproducible, so later replies
    thread under it without storing it anywhere (the ack's outbox row has it in its headers).
    """
    token = salted_hmac("calmdesk.replies.ack_message_id", str(ticket.pk)).hexdigest()[:20]
    return f"<cd-{ticket.pk}-ack.{token}@{mail_domain()}>"


def reply_message_id(ticket: Ticket, message: Message) -> str:
    """A new Message-ID for the mail that carries ``message``, with a random part (proof, as
    above); the caller stores it (``Message.external_id``, ``OutboxMessage.provider_id``)."""
    return f"<cd-{ticket.pk}-m{message.pk}.{secrets.token_hex(10)}@{mail_domain()}>"


def _team_addresses(team: Team | None) -> tuple[str, str]:
    """(From, Reply-To) for a team's mail; empty means the site default."""
    if team is None or not team.email:
        return "", ""
    return formataddr((team.name, team.email)), team.email


def _with_reference(subject: str, reference: str) -> str:
    tag = f"[{reference}]"
    return subject if tag in subject else f"{subject} {tag}".strip()


def _tracking_url(ticket: Ticket) -> str:
    from calmdesk.inbox.services import tracking_url  # inbox imports this module

    return tracking_url(ticket)


def _base_context(ticket: Ticket, language: str) -> dict[str, Any]:
    """Placeholders shared by customer mail, with names in ``language``."""
    team = ticket.team
    with override(language):
        return {
            "name": ticket.customer.name,
            "reference": ticket.reference,
            "tracking_url": _tracking_url(ticket),
            "request_type": ticket.request_type.name(language) if ticket.request_type else "",
            "subject": ticket.subject,
            "team": team.name if team else _("Customer service"),
        }


def crisis_url(incident: Incident) -> str:
    """The absolute address of the incident's public crisis page (/crisis/<slug>)."""
    try:
        path = reverse("crisis:detail", args=[incident.slug])
    except NoReverseMatch:
        path = f"/crisis/{incident.slug}"
    return settings.SITE_URL + path


def _incident_context(incident: Incident, language: str) -> dict[str, Any]:
    """Placeholders of the incident autoresponder, from the incident's texts in ``language``
    (or its first published language). Cached incidents carry their texts: no query."""
    text = incident.text(language)
    return {
        "incident_title": text.title if text else incident.slug,
        "policy": text.policy.strip() if text else "",
        "guidance": text.guidance.strip() if text else "",
        "crisis_url": crisis_url(incident),
    }


# ------------------------------------------------------------------------------------------
# Customer mail
# ------------------------------------------------------------------------------------------


def autoresponder_limit_reached(*, to: str) -> bool:
    """True when ``to`` already got the hourly maximum of acknowledgements (index-backed)."""
    limit = settings.CALMDESK["AUTORESPONDER_MAX_PER_HOUR"]
    since = timezone.now() - timedelta(hours=1)
    sent = OutboxMessage.objects.filter(
        to=to, kind=TemplateKind.AUTORESPONDER, created_at__gte=since
    ).count()
    return sent >= limit


def autoresponder_queue(
    *,
    ticket: Ticket,
    to: str,
    estimate: WaitEstimate,
    now: datetime | None = None,
    check_limit: bool = True,
) -> OutboxMessage | None:
    """Queue the acknowledgement (in the ticket's language) through the outbox, unless the
    per-address hourly limit is reached. Call inside the intake transaction.

    A ticket linked to an incident gets the incident's acknowledgement (its title, the policy
    in force, the crisis page); it counts towards the same hourly limit.

    ``check_limit=False`` when the caller already checked it (before its transaction) or knows
    the address is new.
    """
    to = to.strip()
    if not to or (check_limit and autoresponder_limit_reached(to=to)):
        return None
    language = _language(ticket.language)
    context = _base_context(ticket, language)
    with override(language):
        context["expected_wait"] = estimate.label()
    kind = TemplateKind.AUTORESPONDER
    incident = ticket.incident
    if incident is not None:
        kind = TemplateKind.INCIDENT_AUTORESPONDER
        context.update(_incident_context(incident, language))
    subject, body = render_message(kind=kind, language=language, context=context)
    from_address, reply_to = _team_addresses(ticket.team)
    message_id = ack_message_id(ticket)
    row = outbox_enqueue(
        kind=TemplateKind.AUTORESPONDER,
        to=to,
        delivery_key=f"autoresponder:{ticket.pk}",
        subject=_with_reference(subject, ticket.reference),
        body_text=body,
        headers={
            "Auto-Submitted": "auto-replied",
            "X-Auto-Response-Suppress": "All",
            "Message-ID": message_id,
        },
        from_address=from_address,
        reply_to=reply_to,
        ticket_id=ticket.pk,
        provider_id=message_id,
    )
    if row is not None:
        record_event(
            ticket,
            EventType.AUTORESPONDER,
            at=now,
            data={"outbox": row.pk, "announced_minutes": estimate.minutes},
        )
    return row


def agent_reply_queue(
    *,
    ticket: Ticket,
    message: Message,
    to: str,
    from_address: str | None = None,
    reply_to: str | None = None,
    in_reply_to: str = "",
    references: Sequence[str] = (),
    cc: Sequence[str] = (),
) -> OutboxMessage | None:
    """Queue the email that carries an agent's reply to the customer.

    ``from_address``/``reply_to`` default to the team's addresses; ``in_reply_to`` and
    ``references`` (the customer's last mail and its chain) default to the acknowledgement.
    The mail gets a new unguessable Message-ID, stored on the message (``external_id``) and on
    the outbox row (``provider_id``) so replies thread back and bounces find the row. Each
    address in ``cc`` gets its own outbox row (its own delivery status and bounce) carrying
    the same message: To the customer, Cc the others. Returns the customer's row, None when
    this reply was already queued.
    """
    language = _language(ticket.language)
    context = _base_context(ticket, language)
    context["reply"] = message.body_text
    subject, body = render_message(
        kind=TemplateKind.AGENT_REPLY, language=language, context=context
    )
    team_from, team_reply_to = _team_addresses(ticket.team)
    from_address = team_from if from_address is None else from_address
    reply_to = team_reply_to if reply_to is None else reply_to
    thread = ack_message_id(ticket)
    parent = in_reply_to or thread
    chain = [ref for ref in references if ref] or [thread]
    if parent not in chain:
        chain.append(parent)
    # An already stored id (a resent reply) is kept: replies to the first mail still thread.
    message_id = message.external_id or reply_message_id(ticket, message)
    headers = {
        "Message-ID": message_id,
        "In-Reply-To": parent,
        "References": " ".join(_trim_references(chain)),
    }
    cc = [address for address in dict.fromkeys(cc) if address and address != to]
    if cc:
        headers["To"] = to
        headers["Cc"] = ", ".join(cc)
    row = None
    for index, address in enumerate([to, *cc]):
        key = f"reply:{message.pk}" if index == 0 else f"reply:{message.pk}:cc:{address}"
        queued = outbox_enqueue(
            kind=TemplateKind.AGENT_REPLY,
            to=address,
            delivery_key=key,
            subject=_with_reference(subject, ticket.reference),
            body_text=body,
            headers=headers,
            from_address=from_address,
            reply_to=reply_to,
            ticket_id=ticket.pk,
            message_id=message.pk,
            provider_id=message_id,
        )
        if index == 0:
            row = queued
    if row is not None and message.external_id != message_id:
        Message.objects.filter(pk=message.pk).update(external_id=message_id)
        message.external_id = message_id
    return row


def _trim_references(chain: list[str], limit: int = 20) -> list[str]:
    """RFC 5322 References: the first (the thread's root) and the most recent ids."""
    unique = list(dict.fromkeys(chain))
    if len(unique) <= limit:
        return unique
    return [unique[0], *unique[-(limit - 1) :]]


# ------------------------------------------------------------------------------------------
# Mail to the team lead
# ------------------------------------------------------------------------------------------


def _agent_ticket_url(ticket: Ticket) -> str:
    for name in ("tickets:ticket", "tickets:detail"):
        try:
            return settings.SITE_URL + reverse(name, args=[ticket.pk])
        except NoReverseMatch:
            continue
    return f"{settings.SITE_URL}/agent/"


def alert_email_queue(*, ticket: Ticket, alert: Any, team: Team, to: str) -> OutboxMessage | None:
    """Queue the one alert email about ``ticket`` to its team lead (idempotent per alert)."""
    from calmdesk.core.templatetags.calmdesk import format_date

    lead = team.lead
    profile = getattr(lead, "agent", None) if lead is not None else None
    languages = getattr(profile, "languages", None) or [settings.LANGUAGE_CODE]
    language = _language(languages[0] if isinstance(languages, list) else None)
    with override(language):
        context = {
            "name": (lead.get_full_name() or lead.get_username()) if lead is not None else "",
            "reference": ticket.reference,
            "subject": ticket.subject,
            "request_type": ticket.request_type.name(language) if ticket.request_type else "",
            "team": team.name,
            "created_at": format_date(ticket.created_at, with_time=True),
            "ticket_url": _agent_ticket_url(ticket),
        }
    subject, body = render_message(kind=TemplateKind.ALERT, language=language, context=context)
    return outbox_enqueue(
        kind=TemplateKind.ALERT,
        to=to,
        delivery_key=f"alert:{alert.pk}",
        subject=_with_reference(subject, ticket.reference),
        body_text=body,
        headers={"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"},
        ticket_id=ticket.pk,
    )

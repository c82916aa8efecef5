"""The mail health page for leads: messages that failed or were never processed, per-mailbox
IMAP status, Replay (POST, HTMX) and the raw message download.

Leads and administrators only (agents get 403). Views parse, authorise, call one service or
selector, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from calmdesk.accounts.decorators import lead_required
from calmdesk.tickets.selectors import open_alert_count

from .ingest import mail_replay
from .models import InboundEmail, InboundStatus
from .selectors import STUCK_AFTER, inbound_needing_attention, mailboxes_health


def _chrome(request: HttpRequest) -> dict[str, Any]:
    return {"open_alerts": open_alert_count(user=request.user), "active_nav": "mail"}


@require_GET
@lead_required
def health(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = list(inbound_needing_attention(now=now))
    return render(
        request,
        "mail/health.html",
        {
            **_chrome(request),
            "rows": rows,
            "mailboxes": mailboxes_health(),
            "stuck_minutes": int(STUCK_AFTER.total_seconds() // 60),
            "now": now,
        },
    )


@require_POST
@lead_required
def replay(request: HttpRequest, inbound_id: int) -> HttpResponse:
    if not InboundEmail.objects.filter(pk=inbound_id).exists():
        raise Http404(_("No such message."))
    inbound = mail_replay(inbound_id=inbound_id)
    if getattr(request, "htmx", False):
        return render(request, "mail/partials/_inbound_row.html", {"row": inbound, "done": True})
    if inbound.status == InboundStatus.FAILED:
        messages.error(request, _("The message failed again: %(error)s") % {"error": inbound.error})
    else:
        messages.success(
            request,
            _("The message was processed: %(status)s.") % {"status": inbound.get_status_display()},
        )
    return redirect("mail:health")


@require_GET
@lead_required
def raw(request: HttpRequest, inbound_id: int) -> HttpResponse:
    inbound = InboundEmail.objects.filter(pk=inbound_id).only("raw", "pk").first()
    if inbound is None:
        raise Http404(_("No such message."))
    response = HttpResponse(bytes(inbound.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="inbound-{inbound.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response

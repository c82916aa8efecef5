"""The agent workspace: the queue and the ticket page (server-rendered, HTMX partial updates).

Views parse, authorise (``access_ticket``), call one selector or one service, and render. Every
action works as an HTMX request (the changed regions come back as fragments) and as a plain
POST + redirect without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from calmdesk.accounts.decorators import agent_required, forbidden
from calmdesk.core.errors import DomainError, NotFound, PermissionDenied
from calmdesk.sla.models import Alert
from calmdesk.sla.services import alert_acknowledge

from . import services
from .enums import Priority, TicketStatus
from .forms import (
    PAGE_SIZE,
    VIEW_LABELS,
    AssignForm,
    NoteForm,
    PriorityForm,
    QueueFilterForm,
    ReplyForm,
    RequestTypeForm,
    StatusForm,
    TakeForm,
    TicketActionForm,
    TransferForm,
    agent_label,
)
from .models import Attachment, Ticket
from .permissions import access_ticket, visible_tickets
from .selectors import (
    View,
    open_alert_count,
    open_alerts_on_teams,
    queue_filter_options,
    queue_rows,
    ticket_workspace,
)


def _chrome(request: HttpRequest) -> dict[str, Any]:
    """What the workspace header shows on every page."""
    return {"open_alerts": open_alert_count(user=request.user), "now": timezone.now()}


# ------------------------------------------------------------------------------------------
# Queue
# ------------------------------------------------------------------------------------------


@require_GET
@agent_required
def queue(request: HttpRequest) -> HttpResponse:
    options = queue_filter_options(user=request.user)
    form = QueueFilterForm(request.GET, options=options)
    filters = form.filters()
    page = form.page_number()
    rows, has_more = queue_rows(
        user=request.user,
        filters=filters,
        options=options,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    params = request.GET.copy()
    params.pop("page", None)
    next_params = params.copy()
    next_params["page"] = str(page + 1)
    tab_params = params.copy()
    tab_params.pop("view", None)
    tabs = []
    for view in View.choices:
        tab_params["view"] = view
        tabs.append(
            {
                "view": view,
                "label": VIEW_LABELS[view],
                "query": tab_params.urlencode(),
                "active": view == filters.view,
            }
        )
    context = {
        # The header's badge, on the team ids the filter options already read.
        "open_alerts": open_alerts_on_teams(options.team_ids),
        "now": timezone.now(),
        "form": form,
        "filters": filters,
        "rows": rows,
        "has_more": has_more,
        "page": page,
        "first_row": (page - 1) * PAGE_SIZE + 1,
        "last_row": (page - 1) * PAGE_SIZE + len(rows),
        "first_query": params.urlencode(),
        "next_query": next_params.urlencode(),
        "tabs": tabs,
        "filtered": any(
            (
                filters.team,
                filters.request_type,
                filters.status,
                filters.assignee,
                filters.tag,
                filters.channel,
                filters.q,
            )
        ),
    }
    partial = bool(getattr(request, "htmx", False)) and request.htmx.target == "queue-results"  # type: ignore[attr-defined]
    template = "tickets/partials/_queue_results.html" if partial else "tickets/queue.html"
    response = render(request, template, context)
    # The same URL answers with the page or the rows: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


# ------------------------------------------------------------------------------------------
# Ticket page
# ------------------------------------------------------------------------------------------


def ticket_or_404(request: HttpRequest, ticket_id: int) -> Ticket:
    """The ticket, if this agent may see it; 404 otherwise (ids do not leak)."""
    try:
        return access_ticket(request.user, ticket_id)
    except NotFound as exc:
        raise Http404(_("No such ticket.")) from exc


@dataclass(frozen=True)
class Action:
    form: type[TicketActionForm]
    # Runs the one service for this action; returns the success feedback.
    run: Callable[[Ticket, dict[str, Any], Any], str]
    # The region the form lives in (the HTMX target); the other regions come back out of band.
    region: str
    # Service field names that are called differently in the form.
    fields: dict[str, str]


def _reply(ticket: Ticket, data: dict[str, Any], user: Any) -> str:
    services.ticket_reply(
        ticket=ticket,
        actor=user,
        body_text=data["body"],
        attachments=data["attachments"],
        status_after=data["status_after"] or None,
    )
    if data["status_after"] == TicketStatus.SOLVED:
        return _("Reply sent; the ticket is solved.")
    if data["status_after"] == TicketStatus.PENDING:
        return _("Reply sent; the ticket waits on the customer.")
    return _("Reply sent.")


def _note(ticket: Ticket, data: dict[str, Any], user: Any) -> str:
    services.ticket_add_note(
        ticket=ticket, actor=user, body_text=data["body"], attachments=data["attachments"]
    )
    return _("Internal note added.")


def _status(ticket: Ticket, data: dict[str, Any], user: Any) -> str:
    services.ticket_change_status(ticket=ticket, status=data["status"], actor=user)
    return _("Status set to %(status)s.") % {"status": TicketStatus(data["status"]).label}


def _priority(ticket: Ticket, data: dict[str, Any], user: Any) -> str:
    services.ticket_change_priority(ticket=ticket, priority=data["priority"], actor=user)
    return _("Priority set to %(priority)s.") % {"priority": Priority(data["priority"]).label}


def _request_type(ticket: Ticket, data: dict[str, Any], user: Any) -> str:
    request_type = data["request_type"]
    services.ticket_change_request_type(ticket=ticket, request_type=request_type, actor=user)
    if request_type is None:
        return _("Request type cleared.")
    return _("Request type set to %(type)s.") % {"type": request_type.name()}


def _transfer(ticket: Ticket, data: dict[str, Any], user: Any) -> str:
    services.ticket_transfer(ticket=ticket, team=data["team"], reason=data["reason"], actor=user)
    return _("Transferred to %(team)s.") % {"team": data["team"].name}


def _assign(ticket: Ticket, data: dict[str, Any], user: Any) -> str:
    assignee = data["assignee"]
    services.ticket_assign(ticket=ticket, assignee=assignee, actor=user)
    if assignee is None:
        return _("Unassigned.")
    return _("Assigned to %(name)s.") % {"name": agent_label(assignee)}


def _take(ticket: Ticket, data: dict[str, Any], user: Any) -> str:
    services.ticket_assign(ticket=ticket, assignee=user, actor=user)
    return _("You took this ticket.")


ACTIONS: dict[str, Action] = {
    "reply": Action(ReplyForm, _reply, "composer", {"status": "status_after"}),
    "note": Action(NoteForm, _note, "composer", {}),
    "status": Action(StatusForm, _status, "properties", {}),
    "priority": Action(PriorityForm, _priority, "properties", {}),
    "request_type": Action(RequestTypeForm, _request_type, "properties", {}),
    "transfer": Action(TransferForm, _transfer, "properties", {}),
    "assign": Action(AssignForm, _assign, "properties", {}),
    "take": Action(TakeForm, _take, "properties", {}),
}


def _form_kwargs(name: str, page: dict[str, Any]) -> dict[str, Any]:
    """Choices the forms show, taken from the page's already loaded lists (no extra queries)."""
    if name == "request_type":
        return {"request_types": page["request_types"]}
    if name == "transfer":
        return {"teams": page["teams"]}
    if name == "assign":
        return {"team_agents": page["team_agents"]}
    return {}


def ticket_context(
    request: HttpRequest,
    ticket: Ticket,
    *,
    bound: tuple[str, TicketActionForm] | None = None,
    feedback: str = "",
) -> dict[str, Any]:
    page = ticket_workspace(ticket=ticket, user=request.user)
    ticket = page["ticket"]
    action_forms: dict[str, Any] = {}
    for name, action in ACTIONS.items():
        if bound and bound[0] == name:
            action_forms[name] = bound[1]
        else:
            action_forms[name] = action.form(
                ticket=ticket, user=request.user, **_form_kwargs(name, page)
            )
    # "messages" is the name of Django's feedback messages in templates: the conversation is
    # passed as "conversation".
    conversation = page.pop("messages")
    return {
        **_chrome(request),
        **page,
        "conversation": conversation,
        "forms": action_forms,
        "feedback": feedback,
        "is_mine": ticket.assignee_id == request.user.pk,
        "error_region": ACTIONS[bound[0]].region if bound else "",
    }


@require_GET
@agent_required
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    return render(request, "tickets/detail.html", ticket_context(request, ticket))


@require_POST
@agent_required
def ticket_action(request: HttpRequest, ticket_id: int, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(_("Unknown action."))
    ticket = ticket_or_404(request, ticket_id)
    form = spec.form(request.POST, request.FILES, ticket=ticket, user=request.user)
    feedback = ""
    if form.is_valid():
        try:
            feedback = spec.run(ticket, form.cleaned_data, request.user)
        except DomainError as exc:
            if isinstance(exc, PermissionDenied):
                return forbidden(request)
            field = spec.fields.get(exc.field or "", exc.field)
            form.add_error(field if field in form.fields else None, exc.message)
    htmx = bool(getattr(request, "htmx", False))
    if form.errors:
        context = ticket_context(request, ticket, bound=(action, form))
        template = f"tickets/partials/_update_{spec.region}.html" if htmx else "tickets/detail.html"
        return render(request, template, context, status=400)
    if not visible_tickets(request.user).filter(pk=ticket.pk).exists():
        # Transferred to a team this agent does not see: back to the queue.
        messages.success(request, feedback)
        target = reverse("tickets:queue")
        if htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
    if htmx:
        context = ticket_context(request, ticket, feedback=feedback)
        return render(request, f"tickets/partials/_update_{spec.region}.html", context)
    messages.success(request, feedback)
    return redirect("tickets:detail", ticket_id=ticket.pk)


@require_POST
@agent_required
def alert_ack(request: HttpRequest, ticket_id: int, alert_id: int) -> HttpResponse:
    ticket = ticket_or_404(request, ticket_id)
    alert = get_object_or_404(Alert, pk=alert_id, ticket=ticket)
    alert_acknowledge(alert=alert, actor=request.user)
    feedback = _("Alert acknowledged.")
    if getattr(request, "htmx", False):
        context = ticket_context(request, ticket, feedback=feedback)
        return render(request, "tickets/partials/_update_properties.html", context)
    messages.success(request, feedback)
    return redirect("tickets:detail", ticket_id=ticket.pk)


@require_GET
@agent_required
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponseBase:
    """An attachment, for an agent who may see its ticket; always a download, never rendered."""
    attachment = Attachment.objects.select_related("message").filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404()
    ticket_or_404(request, attachment.message.ticket_id)
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("The file is missing.")) from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response

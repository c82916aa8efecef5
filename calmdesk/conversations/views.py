"""The agent's tools for one conversation per problem: merge suggestions (merge / dismiss),
"Merge into…" with a ticket search, and "Split" (routes in ``tickets/urls.py``).

Views parse, authorise (the agent must be able to see BOTH tickets), call one service of
``merging`` and render. Each action works with HTMX (the changed regions come back out of
band, no reload) and as a plain POST + redirect without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from calmdesk.accounts.decorators import agent_required
from calmdesk.core.errors import DomainError
from calmdesk.tickets.forms import MergeForm, SplitForm, SuggestionMergeForm
from calmdesk.tickets.models import Ticket
from calmdesk.tickets.permissions import visible_tickets
from calmdesk.tickets.views import ticket_context, ticket_or_404

from . import merging
from .models import MergeSuggestion, SuggestionStatus
from .selectors import merge_candidates

UPDATE = "tickets/partials/_update_conversation_tools.html"


def _actor(request: HttpRequest) -> AbstractBaseUser:
    """The signed-in agent (the views are behind ``agent_required``)."""
    user = request.user
    assert isinstance(user, AbstractBaseUser)
    return user


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _go_to(request: HttpRequest, ticket: Ticket, feedback: str) -> HttpResponse:
    """Leave for another ticket's page (the one kept by a merge) with the feedback."""
    messages.success(request, feedback)
    target = reverse("tickets:detail", args=[ticket.pk])
    if _htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return HttpResponseRedirect(target)


def _page_update(
    request: HttpRequest,
    ticket: Ticket,
    *,
    feedback: str = "",
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """The ticket page's changed regions (HTMX), or the page itself (no JavaScript: errors
    are shown on the page; success redirects so a reload does not repeat the POST)."""
    if not _htmx(request) and status == 200:
        if feedback:
            messages.success(request, feedback)
        return HttpResponseRedirect(reverse("tickets:detail", args=[ticket.pk]))
    context = {**ticket_context(request, ticket, feedback=feedback), **extra}
    template = UPDATE if _htmx(request) else "tickets/detail.html"
    return render(request, template, context, status=status)


def _merged_feedback(source: Ticket, target: Ticket) -> str:
    return _("%(source)s was merged into %(target)s.") % {
        "source": source.reference,
        "target": target.reference,
    }


# ------------------------------------------------------------------------------------------
# Manual merge
# ------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_merge(request: HttpRequest, ticket_id: int) -> HttpResponseBase:
    """GET: the "Merge into…" page (search by reference or subject; the customer's other open
    tickets first). POST: merge this ticket into the chosen one, or the chosen one into it."""
    ticket = ticket_or_404(request, ticket_id)
    if request.method == "GET":
        q = request.GET.get("q", "")[:200]
        context = {
            **ticket_context(request, ticket),
            "q": q,
            "candidates": merge_candidates(ticket=ticket, user=request.user, q=q),
        }
        template = (
            "tickets/partials/_merge_candidates.html" if _htmx(request) else "tickets/merge.html"
        )
        return render(request, template, context)
    form = MergeForm(request.POST)
    errors: list[str] = []
    if form.is_valid():
        other = visible_tickets(request.user).filter(pk=form.cleaned_data["target"]).first()
        if other is None:
            errors.append(_("No ticket with this reference that you can see."))
        else:
            here = form.cleaned_data["direction"] == "here"
            source, target = (other, ticket) if here else (ticket, other)
            try:
                kept = merging.ticket_merge(
                    source=source,
                    target=target,
                    actor=_actor(request),
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                errors.append(exc.message)
            else:
                feedback = _merged_feedback(source, kept)
                if kept.pk != ticket.pk:
                    return _go_to(request, kept, feedback)
                return _page_update(request, kept, feedback=feedback)
    else:
        errors.extend(str(e) for field in form.errors.values() for e in field)
    return _page_update(request, ticket, status=400, merge_errors=errors, merge_open=True)


# ------------------------------------------------------------------------------------------
# Split
# ------------------------------------------------------------------------------------------


@require_POST
@agent_required
def ticket_split(request: HttpRequest, ticket_id: int) -> HttpResponseBase:
    ticket = ticket_or_404(request, ticket_id)
    inbound = list(ticket.messages.filter(kind="inbound").values_list("pk", flat=True))
    form = SplitForm(request.POST, message_ids=inbound)
    errors: list[str] = []
    if form.is_valid():
        try:
            new = merging.ticket_split(
                ticket=ticket,
                message_ids=form.cleaned_data["messages"],
                subject=form.cleaned_data["subject"],
                actor=_actor(request),
            )
        except DomainError as exc:
            errors.append(exc.message)
        else:
            feedback = _("Split off into %(ref)s.") % {"ref": new.reference}
            return _page_update(request, ticket, feedback=feedback, split_new=new)
    else:
        errors.append(_("Choose this ticket's customer messages to split off."))
    return _page_update(request, ticket, status=400, split_errors=errors, split_open=True)


# ------------------------------------------------------------------------------------------
# Suggestions
# ------------------------------------------------------------------------------------------


def _suggestion(request: HttpRequest, ticket: Ticket, suggestion_id: int) -> MergeSuggestion:
    """A suggestion about this ticket whose other ticket the agent may see too."""
    row = (
        MergeSuggestion.objects.select_related("ticket", "candidate")
        .filter(pk=suggestion_id)
        .first()
    )
    if row is None or ticket.pk not in (row.ticket_id, row.candidate_id):
        raise Http404(_("No such suggestion."))
    other = row.candidate_id if row.ticket_id == ticket.pk else row.ticket_id
    if not visible_tickets(request.user).filter(pk=other).exists():
        raise Http404(_("No such suggestion."))
    return row


@require_POST
@agent_required
def suggestion_merge(request: HttpRequest, ticket_id: int, suggestion_id: int) -> HttpResponseBase:
    ticket = ticket_or_404(request, ticket_id)
    row = _suggestion(request, ticket, suggestion_id)
    form = SuggestionMergeForm(request.POST)
    into_id = form.cleaned_data.get("into") if form.is_valid() else None
    into = {row.ticket_id: row.ticket, row.candidate_id: row.candidate}.get(into_id or -1)
    try:
        kept = merging.suggestion_merge(suggestion=row, actor=_actor(request), into=into)
    except DomainError as exc:
        return _page_update(request, ticket, status=400, suggestion_errors=[exc.message])
    source = row.candidate if kept.pk == row.ticket_id else row.ticket
    feedback = _merged_feedback(source, kept)
    if kept.pk != ticket.pk:
        return _go_to(request, kept, feedback)
    return _page_update(request, kept, feedback=feedback)


@require_POST
@agent_required
def suggestion_dismiss(
    request: HttpRequest, ticket_id: int, suggestion_id: int
) -> HttpResponseBase:
    ticket = ticket_or_404(request, ticket_id)
    row = _suggestion(request, ticket, suggestion_id)
    if row.status != SuggestionStatus.OPEN:
        return _page_update(request, ticket, feedback=_("This suggestion was already decided."))
    try:
        merging.suggestion_dismiss(suggestion=row, actor=_actor(request))
    except DomainError as exc:
        return _page_update(request, ticket, status=400, suggestion_errors=[exc.message])
    other = row.candidate if row.ticket_id == ticket.pk else row.ticket
    return _page_update(
        request,
        ticket,
        feedback=_("Noted: %(ref)s is a different problem.") % {"ref": other.reference},
    )

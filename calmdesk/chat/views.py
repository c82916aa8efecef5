"""HTTP side of the chat: the widget script, its configuration (texts in the visitor's language,
the expected wait, busy or not), the demo customer site, and the agent panel's actions.

The conversation itself runs over the websockets (``consumers``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from calmdesk.accounts.decorators import agent_required
from calmdesk.core.errors import DomainError
from calmdesk.tickets.services import ticket_reply
from calmdesk.tickets.views import ticket_or_404

from . import conf, selectors, services
from .texts import widget_texts


def _language(value: str | None) -> str:
    code = (value or "")[:2].lower()
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _cors(response: HttpResponse, request: HttpRequest, widget: Any) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if (
        origin
        and widget is not None
        and selectors.origin_allowed(widget, origin, own_host=request.get_host().rsplit(":", 1)[0])
    ):
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    """/chat/widget.js: the script a customer's site embeds with one tag."""
    path = finders.find("chat/widget.js")
    if not path or not isinstance(path, str):
        raise Http404
    with open(path, "rb") as handle:
        response = HttpResponse(handle.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def widget_config(request: HttpRequest) -> JsonResponse:
    """/chat/config?widget=<key>&lang=<code>: the widget's texts, direction and the wait now."""
    widget = selectors.widget_by_key(request.GET.get("widget") or None)
    if widget is None:
        response = JsonResponse(
            {"code": "not_found", "message": _("No such chat widget.")}, status=404
        )
        return _cors(response, request, None)  # type: ignore[return-value]
    language = _language(request.GET.get("lang"))
    with translation.override(language):
        state = selectors.widget_state(widget, now=timezone.now())
        payload = {
            "widget": widget.key,
            "lang": language,
            "dir": "rtl" if translation.get_language_bidi() else "ltr",
            "texts": widget_texts(),
            "wait": {"minutes": state.wait.minutes, "label": state.wait.label()},
            "busy": state.busy,
            "agents_online": state.agents_online,
            "max_chars": conf.message_max_chars(),
            "heartbeat": conf.HEARTBEAT_SECONDS,
            "socket": f"/ws/chat/{widget.key}/",
        }
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return _cors(response, request, widget)  # type: ignore[return-value]


@require_GET
def demo(request: HttpRequest) -> HttpResponse:
    """/chat/demo/: a pretend customer site with the script tag (DEBUG or CHAT_DEMO only)."""
    if not conf.demo_enabled():
        raise Http404
    widget = selectors.widget_by_key(request.GET.get("widget") or None)
    language = _language(request.GET.get("lang") or translation.get_language())
    response = render(
        request,
        "chat/demo.html",
        {"widget": widget, "lang": language, "base": request.build_absolute_uri("/").rstrip("/")},
    )
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


# ------------------------------------------------------------------------------------------
# Agents
# ------------------------------------------------------------------------------------------


@require_POST
@agent_required
def agent_reply(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """The live panel's reply box: the normal reply (``ticket_reply``), answered in JSON."""
    ticket = ticket_or_404(request, ticket_id)
    user: Any = request.user
    try:
        message = ticket_reply(ticket=ticket, actor=user, body_text=request.POST.get("body", ""))
    except DomainError as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=400)
    return JsonResponse({"id": message.pk, "channel": message.channel})


@require_POST
@agent_required
def agent_end(request: HttpRequest, ticket_id: int) -> JsonResponse:
    """End the ticket's chat (the visitor sees it ended; the ticket stays open)."""
    ticket = ticket_or_404(request, ticket_id)
    session = selectors.session_for_ticket(ticket.pk)
    if session is None:
        return JsonResponse(
            {"code": "not_found", "message": _("No chat on this ticket.")}, status=404
        )
    session = services.chat_end(session=session, by="agent", actor=request.user)
    return JsonResponse({"status": session.status})

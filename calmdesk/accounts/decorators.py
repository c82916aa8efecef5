"""Gate for the agent workspace: logged in (else to the login page) and an agent (else 403)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from .permissions import is_agent, sees_all_teams


def forbidden(request: HttpRequest) -> HttpResponse:
    """The polite 403 page for signed-in people who are not agents."""
    return render(request, "accounts/forbidden.html", status=403)


def agent_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_agent(request.user):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapper


def lead_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed in (else the login page) and a team lead or administrator (else 403): the crisis
    tools — incidents, broadcasts, imports."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not sees_all_teams(request.user):
            return forbidden(request)
        return view(request, *args, **kwargs)

    return wrapper

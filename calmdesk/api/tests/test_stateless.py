"""The API is stateless JSON: no cookie, no session, no CSRF; its language from the request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import Client, RequestFactory
from django.urls import resolve, reverse

from calmdesk.core.middleware import API_PATH_PREFIX, LocaleMiddleware
from calmdesk.core.testing.factories import AgentFactory

from .factories import agent_with_token, bearer, install_form

pytestmark = pytest.mark.django_db

BODY: dict[str, Any] = {
    "name": "Elif Yılmaz",
    "email": "elif@example.com",
    "request_type": "refund",
    "message": "My flight was cancelled. I would like a refund.",
}


@pytest.fixture
def browser() -> Client:
    """A browser that has been on the site: logged in, with a session and a CSRF cookie."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(AgentFactory.create())
    client.get("/help")
    assert {"sessionid", "csrftoken"} <= set(client.cookies)
    return client


def test_api_answers_set_no_cookie_even_for_a_browser_with_a_session(browser: Client) -> None:
    install_form()
    cookies_before = {k: v.value for k, v in browser.cookies.items()}

    answers = [
        browser.post("/api/v1/requests", json.dumps(BODY), content_type="application/json"),
        browser.get("/api/v1/form"),
        browser.get("/api/openapi.json"),
    ]

    assert [a.status_code for a in answers] == [202, 200, 200]
    for answer in answers:
        assert answer.cookies == {}
        assert "Cookie" not in answer.get("Vary", "")
    assert {k: v.value for k, v in browser.cookies.items()} == cookies_before


def test_a_session_does_not_authenticate_the_api(browser: Client) -> None:
    # Only a bearer token does: a page on another site cannot act through a logged-in browser.
    response = browser.get("/api/v1/tickets")

    assert response.status_code == 401


def test_a_token_works_without_a_session_and_starts_none(client: Client) -> None:
    _agent, raw = agent_with_token()

    response = client.get("/api/v1/tickets", headers=bearer(raw))

    assert response.status_code == 200
    assert response.cookies == {}


def test_api_errors_follow_accept_language_or_the_language_cookie(client: Client) -> None:
    install_form()
    bad = json.dumps({**BODY, "email": "not an address"})

    turkish = client.post(
        "/api/v1/requests", bad, content_type="application/json", headers={"Accept-Language": "tr"}
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "lt"
    lithuanian = client.post("/api/v1/requests", bad, content_type="application/json")

    assert turkish.status_code == lithuanian.status_code == 422
    assert (turkish["Content-Language"], lithuanian["Content-Language"]) == ("tr", "lt")
    assert "Accept-Language" in turkish["Vary"]
    assert turkish.json()["errors"]["email"] != lithuanian.json()["errors"]["email"]


def test_the_site_keeps_its_csrf_protection(browser: Client) -> None:
    install_form()

    response = browser.post("/help", {"name": "Elif", "email": "elif@example.com"})

    assert response.status_code == 403


def test_the_api_is_mounted_where_the_middleware_expects_it() -> None:
    assert reverse("api:openapi-json").startswith(API_PATH_PREFIX)
    assert resolve(f"{API_PATH_PREFIX}v1/requests").url_name == "create_request"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_ACCEPT_LANGUAGE": "fa-IR,fa;q=0.9,en;q=0.5"},
        {"HTTP_ACCEPT_LANGUAGE": "de, tr;q=0.7"},
        {"HTTP_COOKIE": f"{settings.LANGUAGE_COOKIE_NAME}=lt", "HTTP_ACCEPT_LANGUAGE": "tr"},
    ],
)
@pytest.mark.parametrize("path", ["/help", "/api/v1/requests", "/tr/agent/"])
def test_locale_middleware_decides_as_djangos(headers: dict[str, str], path: str) -> None:
    def answers(middleware_class: type) -> tuple[str, str, str | None]:
        request = RequestFactory().get(path, **headers)
        middleware = middleware_class(lambda r: HttpResponse(r.LANGUAGE_CODE))
        response = middleware(request)
        return response.content.decode(), response["Vary"], response.get("Content-Language")

    assert answers(LocaleMiddleware) == answers(DjangoLocaleMiddleware)


@pytest.mark.parametrize("path", ["/api/v1/requests", "/help"])
def test_site_only_middleware_lets_api_requests_through_untouched(path: str) -> None:
    from calmdesk.core import middleware as m

    seen: list[set[str]] = []

    def view(request: Any) -> HttpResponse:
        seen.append({a for a in ("session", "user", "htmx", "_messages") if hasattr(request, a)})
        return HttpResponse("ok")

    chain: Any = view
    for cls in (
        m.SiteHtmxMiddleware,
        m.LazyMessageMiddleware,
        m.SiteAuthenticationMiddleware,
        m.SiteCsrfViewMiddleware,
        m.SiteSessionMiddleware,
    ):
        chain = cls(chain)
    request = RequestFactory().get(path)
    response = chain(request)

    site = {"session", "user", "htmx", "_messages"}
    expected = set() if path.startswith(API_PATH_PREFIX) else site
    assert seen == [expected]
    assert response.status_code == 200

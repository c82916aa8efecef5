"""The public crisis page: what a worried customer reads, in their language, fast under a crowd."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from calmdesk.core.testing.factories import AgentFactory, make_ticket
from calmdesk.inbox.defaults import install_default_form
from calmdesk.incidents.middleware import page_key
from calmdesk.incidents.models import Incident, IncidentStatus
from calmdesk.incidents.services import (
    incident_declare,
    incident_post_update,
    incident_set_status,
)
from calmdesk.staffing.selectors import public_wait
from calmdesk.tickets.models import RequestType

pytestmark = pytest.mark.django_db

MONDAY_NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"


def parse_feed(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 — our own response, not untrusted input


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(MONDAY_NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def form(clock: Any) -> None:
    install_default_form()


def declare(slug: str = "ship-fire", **extra: Any) -> Incident:
    return incident_declare(
        actor=None,
        slug=slug,
        team=None,
        languages=["en", "fa"],
        texts={
            "en": {
                "title": "Fire on the MS Aurora",
                "summary": "A fire broke out in the engine room. Everyone is safe.",
                "what_to_do": "Do not come to the port.",
                "policy": "Full refunds for every sailing until Friday.",
                "guidance": "Contact us only if you travel within the next 3 days.",
            },
            "fa": {
                "title": "آتش‌سوزی در کشتی آرورا",
                "summary": "در موتورخانه آتش‌سوزی رخ داد. همه در امان هستند.",
            },
        },
        request_type=RequestType.objects.get(key="refund"),
        **extra,
    )


def post(incident: Incident, en: str, fa: str = "") -> None:
    texts = {"en": en, **({"fa": fa} if fa else {})}
    incident_post_update(incident=incident, actor=None, texts=texts)


@pytest.fixture
def fire(form: None, clock: Any) -> Incident:
    incident = declare()
    post(incident, "The ship is back in port.", "کشتی به بندر بازگشت.")
    clock.shift(timedelta(hours=2))
    post(incident, "Refunds are being processed.", "بازپرداخت‌ها در حال انجام است.")
    return incident


def text_of(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# ------------------------------------------------------------------------------------------
# What the page says
# ------------------------------------------------------------------------------------------


def test_incident_page_tells_what_happened_what_to_do_and_the_policy(
    client: Client, fire: Incident
) -> None:
    response = client.get("/crisis/ship-fire")

    assert response.status_code == 200
    html = text_of(response)
    assert '<html lang="en" dir="ltr">' in html
    for expected in (
        "Fire on the MS Aurora",
        "A fire broke out in the engine room. Everyone is safe.",
        "Do not come to the port.",
        "Full refunds for every sailing until Friday.",
        "Contact us only if you travel within the next 3 days.",
    ):
        assert expected in html
    assert 'href="/help?type=refund&amp;incident=ship-fire"' in html


def test_updates_are_listed_newest_first_with_their_date(client: Client, fire: Incident) -> None:
    html = text_of(client.get("/crisis/ship-fire"))

    newest = html.index("Refunds are being processed.")
    oldest = html.index("The ship is back in port.")
    assert newest < oldest
    assert "March 2, 2026, 2 p.m." in html
    assert "March 2, 2026, noon" in html


def test_the_wait_shown_per_request_type_is_the_announced_public_wait(
    client: Client, fire: Incident
) -> None:
    html = client.get("/crisis/ship-fire").content.decode()

    shown = dict(
        re.findall(r'data-request-type="([\w-]+)">.*?data-minutes="(\d+)"', html, re.DOTALL)
    )
    expected = {
        rt.key: str(public_wait(request_type=rt, now=MONDAY_NOON, incident=fire).minutes)
        for rt in RequestType.objects.filter(active=True)
    }
    assert shown == expected
    assert len(shown) == 4
    refund = public_wait(request_type=RequestType.objects.get(key="refund"), now=MONDAY_NOON)
    assert refund.label() in html


def test_persian_reader_gets_a_right_to_left_page_with_solar_hijri_dates(
    client: Client, fire: Incident
) -> None:
    response = client.get("/crisis/ship-fire", HTTP_ACCEPT_LANGUAGE="fa")

    html = text_of(response)
    assert '<html lang="fa" dir="rtl">' in html
    assert "آتش‌سوزی در کشتی آرورا" in html
    assert "کشتی به بندر بازگشت." in html
    # 2 March 2026 is 11 Esfand 1404, in Persian digits.
    assert "۱۱ اسفند ۱۴۰۴" in html
    assert "2026" not in re.sub(r'datetime="[^"]*"', "", html)
    assert response["Content-Language"] == "fa"


def test_language_link_and_cookie_choose_the_language(client: Client, fire: Incident) -> None:
    assert 'lang="fa" dir="rtl"' in client.get("/crisis/ship-fire?lang=fa").content.decode()
    client.cookies["django_language"] = "fa"
    assert 'lang="fa" dir="rtl"' in client.get("/crisis/ship-fire").content.decode()
    assert 'lang="en" dir="ltr"' in client.get("/crisis/ship-fire?lang=en").content.decode()


def test_a_language_without_texts_falls_back_to_a_published_one(
    client: Client, fire: Incident
) -> None:
    html = text_of(client.get("/crisis/ship-fire?lang=tr"))

    assert '<html lang="tr" dir="ltr">' in html
    assert '<h1 lang="en" dir="auto">Fire on the MS Aurora</h1>' in html


def test_crisis_shows_the_one_public_incident(client: Client, fire: Incident) -> None:
    html = text_of(client.get("/crisis"))

    assert "Fire on the MS Aurora" in html
    assert 'rel="canonical" href="/crisis/ship-fire"' in html


def test_crisis_lists_several_public_incidents(client: Client, fire: Incident) -> None:
    declare("port-strike")

    html = text_of(client.get("/crisis"))

    assert html.count('href="/crisis/ship-fire"') == 1
    assert html.count('href="/crisis/port-strike"') == 1
    assert "A fire broke out" not in html


def test_without_an_incident_crisis_is_a_calm_page_leading_to_the_form(
    client: Client, form: None
) -> None:
    html = text_of(client.get("/crisis"))

    assert "No ongoing incident" in html
    assert 'href="/help"' in html


def test_a_resolved_incident_keeps_its_page_and_says_it_is_resolved(
    client: Client, fire: Incident, clock: Any
) -> None:
    clock.shift(timedelta(days=1))
    incident_set_status(incident=fire, status=IncidentStatus.RESOLVED, actor=None)

    html = text_of(client.get("/crisis/ship-fire"))

    assert "This incident was resolved on March 3, 2026, 2 p.m." in html
    assert "Refunds are being processed." in html
    assert "No ongoing incident" in text_of(client.get("/crisis"))


def test_unknown_incident_is_not_found(client: Client, form: None) -> None:
    assert client.get("/crisis/no-such-thing").status_code == 404
    assert client.get("/crisis/no-such-thing/feed.atom").status_code == 404


# ------------------------------------------------------------------------------------------
# The feed
# ------------------------------------------------------------------------------------------


def test_feed_lists_the_updates_newest_first(client: Client, fire: Incident) -> None:
    response = client.get("/crisis/ship-fire/feed.atom")

    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = parse_feed(response.content)
    assert root.findtext(f"{ATOM}title") == "Fire on the MS Aurora"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}summary") for e in entries] == [
        "Refunds are being processed.",
        "The ship is back in port.",
    ]
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        "2026-03-02T14:00:00+00:00",
        "2026-03-02T12:00:00+00:00",
    ]


def test_feed_is_in_the_language_asked_for(client: Client, fire: Incident) -> None:
    root = parse_feed(client.get("/crisis/ship-fire/feed.atom?lang=fa").content)

    assert root.findtext(f"{ATOM}title") == "آتش‌سوزی در کشتی آرورا"
    assert root.findall(f"{ATOM}entry")[0].findtext(f"{ATOM}summary") == (
        "بازپرداخت‌ها در حال انجام است."
    )


def test_feed_reads_as_many_queries_however_many_updates(
    client: Client, fire: Incident, clock: Any
) -> None:
    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/crisis/ship-fire/feed.atom").status_code == 200
        return len(captured)

    with_two = queries()
    for n in range(3):
        clock.shift(timedelta(minutes=10))
        post(fire, f"Update {n}.")

    assert queries() == with_two


# ------------------------------------------------------------------------------------------
# Fast under a crowd
# ------------------------------------------------------------------------------------------


def test_second_request_is_served_from_the_cache_without_a_query(
    client: Client, fire: Incident, django_assert_num_queries: Any
) -> None:
    first = client.get("/crisis/ship-fire")

    with django_assert_num_queries(0):
        second = client.get("/crisis/ship-fire")

    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert second["Cache-Control"] == "public, max-age=30, stale-while-revalidate=60"
    assert second["Vary"] == "Accept-Language, Cookie"
    assert second["Last-Modified"] == "Mon, 02 Mar 2026 14:00:00 GMT"
    assert second["X-Frame-Options"] == "DENY"


def test_feed_and_crisis_are_served_from_the_cache_too(
    client: Client, fire: Incident, django_assert_num_queries: Any
) -> None:
    client.get("/crisis")
    client.get("/crisis/ship-fire/feed.atom")

    with django_assert_num_queries(0):
        assert client.get("/crisis").status_code == 200
        assert client.get("/crisis/ship-fire/feed.atom").status_code == 200


def test_each_language_has_its_own_copy(client: Client, fire: Incident) -> None:
    client.get("/crisis/ship-fire", HTTP_ACCEPT_LANGUAGE="fa")

    assert 'lang="en"' in client.get("/crisis/ship-fire").content.decode()
    assert 'lang="fa"' in client.get("/crisis/ship-fire?lang=fa").content.decode()


def test_conditional_get_answers_not_modified(client: Client, fire: Incident) -> None:
    etag = client.get("/crisis/ship-fire")["ETag"]

    response = client.get("/crisis/ship-fire", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "public, max-age=30, stale-while-revalidate=60"
    since = client.get("/crisis/ship-fire", HTTP_IF_MODIFIED_SINCE="Mon, 02 Mar 2026 14:00:00 GMT")
    assert since.status_code == 304


def test_head_is_answered_from_the_cache_without_a_body(
    client: Client, fire: Incident, django_assert_num_queries: Any
) -> None:
    full = client.get("/crisis/ship-fire")

    with django_assert_num_queries(0):
        head = client.head("/crisis/ship-fire")

    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(full.content))
    assert head["ETag"] == full["ETag"]


def test_an_update_shows_at_once_with_a_new_etag(
    client: Client, fire: Incident, clock: Any
) -> None:
    before = client.get("/crisis/ship-fire")
    clock.shift(timedelta(minutes=5))

    post(fire, "Buses to the airport leave at 18:00.")
    after = client.get("/crisis/ship-fire", HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "Buses to the airport leave at 18:00." in after.content.decode()
    assert "Buses to the airport" in client.get("/crisis/ship-fire/feed.atom").content.decode()


def test_waits_are_read_again_after_30_seconds(
    client: Client, fire: Incident, clock: Any, in_process_cache: None
) -> None:
    before = client.get("/crisis/ship-fire")
    refund = RequestType.objects.get(key="refund")
    for i in range(12):
        make_ticket(request_type=refund, subject=f"Refund {i}", now=MONDAY_NOON)

    assert client.get("/crisis/ship-fire").content == before.content
    clock.shift(timedelta(seconds=31))
    client.get("/crisis/ship-fire")  # public_wait's own 30 s are over as well
    after = client.get("/crisis/ship-fire")

    assert after["ETag"] != before["ETag"]
    minutes = public_wait(request_type=refund, now=MONDAY_NOON + timedelta(seconds=31)).minutes
    assert (
        f'data-request-type="refund"><dt>Refund</dt><dd class="wait-value" data-minutes="{minutes}"'
        in after.content.decode()
    )


def test_while_one_request_renders_the_next_copy_the_crowd_gets_the_stale_one(
    client: Client, fire: Incident, clock: Any, django_assert_num_queries: Any
) -> None:
    before = client.get("/crisis/ship-fire")
    clock.shift(timedelta(seconds=31))
    cache.add(f"{page_key('/crisis/ship-fire', 'en', 'ship-fire')}:rendering", 1, 10)

    with django_assert_num_queries(0):
        during = client.get("/crisis/ship-fire")

    assert during.content == before.content
    assert during["ETag"] == before["ETag"]


def test_the_shared_copy_holds_no_csrf_token_session_or_user(
    client: Client, fire: Incident
) -> None:
    lead = AgentFactory.create(username="marjan-the-lead", profile__role="lead")
    client.force_login(lead)

    rendered = client.get("/crisis/ship-fire")
    cached = Client().get("/crisis/ship-fire")

    for response in (rendered, cached):
        html = response.content.decode()
        assert "csrfmiddlewaretoken" not in html
        assert "X-CSRFToken" not in html
        assert "marjan-the-lead" not in html
        assert not response.cookies
    assert cached.content == rendered.content


# ------------------------------------------------------------------------------------------
# The banner, and the plain-text wait for phone systems
# ------------------------------------------------------------------------------------------


def test_banner_on_the_form_and_tracking_page_only_while_an_incident_is_public(
    client: Client, fire: Incident
) -> None:
    ticket = make_ticket(request_type=RequestType.objects.get(key="refund"), now=MONDAY_NOON)
    pages = ["/help", f"/t/{ticket.tracking_token}"]
    for page in pages:
        html = client.get(page).content.decode()
        assert 'class="crisis-banner' in html
        assert 'href="/crisis/ship-fire"' in html

    incident_set_status(incident=fire, status=IncidentStatus.RESOLVED, actor=None)

    for page in pages:
        assert "crisis-banner" not in client.get(page).content.decode()


def test_wait_text_reads_one_sentence_per_request_type(client: Client, form: None) -> None:
    response = client.get("/crisis/wait.txt")

    assert response["Content-Type"] == "text/plain; charset=utf-8"
    lines = response.content.decode().splitlines()
    expected = [
        f"{rt.name('en')}: we expect to answer "
        f"{public_wait(request_type=rt, now=MONDAY_NOON).label()}."
        for rt in RequestType.objects.filter(active=True).order_by("order", "key")
    ]
    assert lines == expected
    assert lines[0] == "Refund: we expect to answer within about 45 minutes."


def test_wait_text_for_one_type_in_persian(client: Client, form: None) -> None:
    response = client.get("/crisis/wait.txt?type=refund&lang=fa")

    assert response.content.decode().startswith("استرداد وجه: ")
    assert "۴۵" in response.content.decode()
    assert len(response.content.decode().splitlines()) == 1
    assert response["Content-Language"] == "fa"


def test_wait_text_for_an_unknown_type_is_not_found(client: Client, form: None) -> None:
    response = client.get("/crisis/wait.txt?type=nonsense")

    assert response.status_code == 404
    assert response["Content-Type"] == "text/plain; charset=utf-8"

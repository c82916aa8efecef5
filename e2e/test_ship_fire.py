"""The "ship fire" scenario in a real browser, end to end.

A team lead signs in and declares the incident (fire aboard MS Aurora) through the incident
form, imports the 500 passengers from the shipping line's CSV through the import screen (with
the column-mapping step; the file's two broken rows are rejected in the report), writes an
email broadcast, previews it and sends it: the SMTP server receives 500 messages. Then 200 of
those passengers write in (through intake, in the test thread, for speed). The browser then
checks what the lead and the public see: the crisis page with the incident and the announced
wait (the same as the phone line's), the queue with the 200 linked requests, and the incident
dashboard with 200 inbound requests in this hour, a backlog of 200 and the broadcast at
500/500.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from calmdesk.accounts.models import Role, Team
from calmdesk.core.testing.factories import AgentFactory

pytestmark = [pytest.mark.browser]

LEAD_PASSWORD = "calm-lead-pass-31"  # noqa: S105 - a test user
SLUG = "ship-fire"
SHIP = "MS Aurora"
PASSENGERS = 500
WRITERS = 200
TITLE = "Fire aboard MS Aurora: sailings suspended"
GUIDANCE = "Contact us only if you travel within the next 3 days."
SUBJECT = "MS Aurora: your booking {{ booking }}"
COLUMNS = ("Passenger", "E-mail", "Lang", "PNR", "Vessel", "Sailing")


def seed_defaults() -> None:
    from calmdesk.core.demo.loader import install_defaults

    install_defaults()


@pytest.fixture
def desk(transactional_db: None, live_server: Any, settings: Any, smtp_server: Any) -> Any:
    """The seed's configuration and one team lead of every team."""
    settings.SITE_URL = live_server.url
    seed_defaults()
    AgentFactory.create(
        username="mina",
        password=LEAD_PASSWORD,
        email="mina@calmdesk.test",
        profile__role=Role.LEAD,
        profile__teams=Team.objects.all(),
    )
    return live_server


def passenger_list(tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:
    """The shipping line's export: its own column names, departures over the next 10 days,
    and two broken rows at the end (rows 502 and 503 as a spreadsheet numbers them)."""
    rng = random.Random(4)  # noqa: S311 - test data
    today = timezone.localdate()
    rows = [
        {
            "Passenger": f"Passenger {n:03d}",
            "E-mail": f"passenger{n:03d}@example.org",
            "Lang": rng.choice(["en", "tr", "fa", "lt"]),
            "PNR": f"AUR{n:04d}",
            "Vessel": SHIP,
            "Sailing": (today + timedelta(days=1 + n % 10)).isoformat(),
        }
        for n in range(PASSENGERS)
    ]
    broken = [
        {**rows[0], "E-mail": "not-an-address", "PNR": "AURBAD1"},  # rejected: the email
        {**rows[1], "E-mail": "nobody@example.org", "PNR": ""},  # rejected: no reference
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows([*rows, *broken])
    path = tmp_path / "ms-aurora-passengers.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path, rows


def sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", "mina")
    page.fill("input[name=password]", LEAD_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/agent/**")


def declare(page: Any, base: str) -> None:
    today = timezone.localdate()
    page.goto(f"{base}/agent/incidents/new/")
    page.fill("#id_slug", SLUG)
    page.select_option("#id_team", label="Trip changes")
    page.fill("#id_keywords", "MS Aurora, Aurora")
    page.check("#id_languages_0")  # English, the first language of the site
    page.eval_on_selector_all("details.lang-section", "els => els.forEach(e => e.open = true)")
    page.fill("#id_title_en", TITLE)
    page.fill(
        "#id_summary_en",
        "A fire broke out in the engine room of MS Aurora. Everyone on board is safe.",
    )
    page.fill("#id_policy_en", "Full refund or free rebooking, without any change fee.")
    page.fill("#id_guidance_en", GUIDANCE)
    page.fill("#id_ship", SHIP)
    page.fill("#id_departure_from", today.isoformat())
    page.fill("#id_departure_to", (today + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Declare the incident").click()
    page.wait_for_url(f"{base}/agent/incidents/{SLUG}/")


MAPPING = {
    "name": "Passenger",
    "email": "E-mail",
    "language": "Lang",
    "reference": "PNR",
    "ship": "Vessel",
    "departure_date": "Sailing",
}


def import_passengers(page: Any, base: str, csv_path: Path) -> None:
    """Upload the list for the incident, say which column holds what, import, read the
    report: 502 rows, 500 accepted, the 2 broken rows rejected with their row numbers."""
    page.goto(f"{base}/agent/imports/")
    page.set_input_files("#id_file", str(csv_path))
    page.select_option("#id_incident", label=SLUG)
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("heading", name="Which column holds what?").wait_for()
    for field, column in MAPPING.items():
        page.select_option(f"#id_{field}", column)
    page.get_by_role("button", name="Import", exact=True).click()
    report = page.locator("#import-report")
    report.wait_for()
    text = report.inner_text()
    assert f"{PASSENGERS + 2} rows read." in text
    assert f"Accepted: {PASSENGERS}" in text
    assert "Rejected: 2" in text
    rejected_rows = report.locator("tbody tr td:first-child").all_inner_texts()
    assert [r.strip() for r in rejected_rows] == [str(PASSENGERS + 2), str(PASSENGERS + 3)]


def compose_and_send_broadcast(page: Any, base: str, incident_pk: int) -> int:
    """Write the email from the incident's segment, check the preview, send it; returns its
    id. The form starts with the incident's segment filled in."""
    page.goto(f"{base}/agent/broadcasts/new/?incident={incident_pk}")
    page.fill("#id_name", "MS Aurora: your options")
    page.select_option("#id_channel", "email")
    assert page.input_value("#id_seg_ship") == SHIP
    page.fill("#id_subject_en", SUBJECT)
    page.fill(
        "#id_body_en",
        "Dear {{ name }}, your sailing of {{ departure }} (booking {{ booking }}) is cancelled. "
        "Choose a full refund or free rebooking: {{ tracking_url }} - news: {{ crisis_url }}",
    )
    page.get_by_role("button", name="Save and preview").click()
    page.wait_for_url(f"{base}/agent/broadcasts/*/")
    broadcast_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    assert page.inner_text("#recipient-count").startswith(f"{PASSENGERS} customers")
    preview = page.locator(".bc-preview").first
    assert "MS Aurora: your booking AUR" in preview.locator(".bc-subject").inner_text()
    assert "{{" not in preview.locator(".bc-body").inner_text()
    page.check("input[name=confirm]")
    page.get_by_role("button", name="Send broadcast").click()
    page.wait_for_selector("#bc-progress")
    return broadcast_id


def passengers_write_in(rows: list[dict[str, str]], now: Any) -> list[int]:
    """200 passengers send a request about their booking (intake, as the form would)."""
    from calmdesk.inbox.services import intake_submit
    from calmdesk.inbox.validation import CleanSubmission
    from calmdesk.tickets.models import RequestType

    change = RequestType.objects.get(key="change")
    ids = []
    for row in rows[:WRITERS]:
        submission = CleanSubmission(
            name=row["Passenger"],
            email=row["E-mail"],
            phone="",
            request_type=change,
            subject=f"My sailing on {row['Sailing']}",
            message=f"What happens to my booking {row['PNR']}? Can I travel next week instead?",
            custom_fields={"departure_date": row["Sailing"], "booking_reference": row["PNR"]},
            language="en",
        )
        ids.append(intake_submit(submission=submission, now=now).ticket.pk)
    return ids


def test_ship_fire_from_declaration_to_dashboard(
    desk: Any, browser: Any, smtp_server: Any, tmp_path: Path, results_dir: Path
) -> None:
    from calmdesk.incidents.broadcasts import broadcast_advance
    from calmdesk.incidents.models import Broadcast, Incident
    from calmdesk.staffing.selectors import public_wait
    from calmdesk.tickets.models import Ticket

    base = desk.url
    csv_path, rows = passenger_list(tmp_path)
    lead = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1000})
    page = lead.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, base)

    # 1. The lead declares the incident.
    declare(page, base)
    incident = Incident.objects.get(slug=SLUG)
    assert incident.status == "active"
    assert incident.segment["ship"] == SHIP

    # 2. ... imports the passenger list, mapping its own column names.
    import_passengers(page, base, csv_path)

    # 3. ... and sends them an email broadcast. The sender's periodic step runs here, in the
    # test thread, as the worker would every minute (one minute's allowance is 600 > 500).
    broadcast_id = compose_and_send_broadcast(page, base, incident.pk)
    broadcast_advance(broadcast_id=broadcast_id)
    broadcast = Broadcast.objects.get(pk=broadcast_id)
    assert (broadcast.status, broadcast.total, broadcast.queued) == ("done", 500, 500)
    assert len(smtp_server.messages) == PASSENGERS
    assert all(len(smtp_server.to(r["E-mail"])) == 1 for r in rows)
    first = smtp_server.to(rows[0]["E-mail"])[0]
    # The subject carries the incident's reply token: replies come back linked to it.
    assert first["Subject"] == f"MS Aurora: your booking {rows[0]['PNR']} [INC-{SLUG}]"
    page.reload()
    assert page.inner_text("#count-total") == "500"
    assert page.inner_text("#count-sent") == "500"

    # 4. 200 passengers write in: every request is linked to the incident and its team.
    submitted_at = timezone.now()
    ticket_ids = passengers_write_in(rows, submitted_at)
    linked = Ticket.objects.filter(pk__in=ticket_ids, incident=incident)
    assert linked.count() == WRITERS
    assert set(linked.values_list("team_id", flat=True)) == {incident.team_id}

    # 5a. The public crisis page: the incident, and the wait a new linked request gets.
    visitor = browser.new_context(locale="en-GB")
    public = visitor.new_page()
    public.goto(f"{base}/crisis")
    public.wait_for_url(f"{base}/crisis**")
    public.goto(f"{base}/crisis/{SLUG}")
    assert TITLE in public.inner_text("h1")
    assert GUIDANCE in public.inner_text(".crisis-guidance")
    wait = public.locator("[data-request-type=change] .wait-value")
    announced = public_wait(
        request_type=incident.request_type, now=timezone.now(), incident=incident
    )
    assert int(wait.get_attribute("data-minutes") or -1) == announced.minutes
    assert announced.ahead == WRITERS
    phone = public.request.get(f"{base}/crisis/wait.txt?type=change&incident={SLUG}&lang=en")
    assert announced.label() in phone.text()
    public.screenshot(path=str(results_dir / "ship-fire-crisis-page.png"), full_page=True)
    visitor.close()

    # 5b. The queue: the 200 linked requests under the incident's tag, 50 a page.
    seen = 0
    for number in range(1, 5):
        page.goto(f"{base}/agent/?view=all&tag=incident-{SLUG}&page={number}")
        page.wait_for_selector("#queue-results")
        seen += page.locator("table.queue tbody tr.queue-row").count()
    assert page.locator("#queue-results a[rel=next]").count() == 0
    assert seen == WRITERS

    # 5c. The dashboard: 200 inbound in this hour, a backlog of 200, the broadcast 500/500.
    page.goto(f"{base}/agent/incidents/{SLUG}/dashboard/")
    assert page.inner_text("#kpi-inbound dd") == "200"
    assert page.inner_text("#kpi-backlog dd") == "200"
    hour = f"{submitted_at.astimezone(UTC):%H}:00"
    volume = page.locator("section[aria-labelledby=panel-volume] table tbody tr")
    busy = [
        ((row.locator("th").text_content() or "").strip(), row.locator("td").last.text_content())
        for row in volume.all()
        if row.locator("td").last.text_content() != "0"
    ]
    assert len(busy) == 1
    assert busy[0][0].endswith(hour)
    assert busy[0][1] == "200"
    progress = page.locator(f"[data-broadcast='{broadcast_id}']")
    assert "500 of 500 done (100%)" in progress.inner_text()
    page.screenshot(path=str(results_dir / "ship-fire-dashboard.png"), full_page=True)
    lead.close()

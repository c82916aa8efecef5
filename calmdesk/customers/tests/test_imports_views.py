"""The import screens as a lead's browser sees them: upload, map, run, report, download."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from calmdesk.accounts.models import Role
from calmdesk.core.testing.factories import AgentFactory
from calmdesk.customers.models import Booking, CustomerImport, ImportStatus

pytestmark = pytest.mark.django_db

CSV = (
    "Ad Soyad;E-posta;Telefon;Rezervasyon No;Gemi;Kalkış Tarihi\n"
    "Elif Yılmaz;elif@example.com;0532 123 45 67;AB1;Ege Star;14.07.2025\n"
    "Ali;not-an-email;;AB2;Ege Star;2025-07-15\n"
)


@pytest.fixture
def lead_client() -> Client:
    client = Client()
    client.force_login(AgentFactory(profile__role=Role.LEAD))
    return client


@pytest.fixture
def agent_client() -> Client:
    client = Client()
    client.force_login(AgentFactory())
    return client


def upload(client: Client, text: str = CSV, name: str = "list.csv") -> CustomerImport:
    response = client.post(
        reverse("customers:imports"), {"file": SimpleUploadedFile(name, text.encode())}
    )
    assert response.status_code == 302
    return CustomerImport.objects.get()


def test_upload_leads_to_the_mapping_step_with_guessed_columns(lead_client: Client) -> None:
    created = upload(lead_client)
    response = lead_client.get(reverse("customers:import", args=[created.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert {name: form[name].value() for name in ("name", "email", "phone", "reference")} == {
        "name": "Ad Soyad",
        "email": "E-posta",
        "phone": "Telefon",
        "reference": "Rezervasyon No",
    }
    assert [row["cells"][0] for row in response.context["rows"]] == ["Elif Yılmaz", "Ali"]
    assert created.filename == "list.csv"


def test_preview_checks_the_rows_with_the_chosen_mapping(lead_client: Client) -> None:
    created = upload(lead_client)
    response = lead_client.post(
        reverse("customers:import_preview", args=[created.pk]),
        {"email": "E-posta", "reference": "Rezervasyon No", "phone_region": "TR"},
    )
    assert response.status_code == 200
    assert [row["reasons"] for row in response.context["rows"]] == [
        [],
        [{"label": "Email", "message": "Enter a valid email address."}],
    ]


def test_run_imports_and_shows_the_report(lead_client: Client) -> None:
    created = upload(lead_client)
    response = lead_client.post(
        reverse("customers:import", args=[created.pk]),
        {
            "name": "Ad Soyad",
            "email": "E-posta",
            "phone": "Telefon",
            "reference": "Rezervasyon No",
            "ship": "Gemi",
            "departure_date": "Kalkış Tarihi",
            "phone_region": "tr",
            "default_language": "tr",
        },
    )
    assert response.status_code == 302
    created.refresh_from_db()
    assert (created.status, created.accepted, created.rejected) == (ImportStatus.DONE, 1, 1)
    assert Booking.objects.get().reference == "AB1"
    page = lead_client.get(reverse("customers:import", args=[created.pk]))
    assert page.context["report"] == [
        {"row": 3, "reasons": [{"label": "Email", "message": "Enter a valid email address."}]}
    ]
    assert "Download the rejected rows (CSV)" in page.content.decode()
    download = lead_client.get(reverse("customers:import_rejected", args=[created.pk]))
    lines = b"".join(download.streaming_content).decode().lstrip("\ufeff").splitlines()
    assert lines == [
        "Ad Soyad,E-posta,Telefon,Rezervasyon No,Gemi,Kalkış Tarihi,Row,Reasons",
        "Ali,not-an-email,,AB2,Ege Star,2025-07-15,3,email: Enter a valid email address.",
    ]


def test_mapping_without_a_reference_is_refused_on_its_field(lead_client: Client) -> None:
    created = upload(lead_client)
    response = lead_client.post(
        reverse("customers:import", args=[created.pk]), {"email": "E-posta"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "reference": ["Choose the column with the booking reference."]
    }
    created.refresh_from_db()
    assert (created.mapping, Booking.objects.count()) == ({}, 0)


def test_a_list_cannot_be_run_twice(lead_client: Client) -> None:
    created = upload(lead_client)
    data = {"email": "E-posta", "reference": "Rezervasyon No"}
    lead_client.post(reverse("customers:import", args=[created.pk]), data)
    response = lead_client.post(reverse("customers:import", args=[created.pk]), data)
    assert response.status_code == 302
    assert Booking.objects.count() == 1


def test_large_list_runs_in_the_worker_and_the_page_shows_progress(
    lead_client: Client,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    monkeypatch.setattr("calmdesk.customers.views.INLINE_MAX_BYTES", 10)
    created = upload(lead_client)
    CustomerImport.objects.filter(pk=created.pk).update(mapping={"x": "y"})
    progress = lead_client.get(reverse("customers:import_progress", args=[created.pk]))
    assert progress.context["running"] is True
    assert 'hx-trigger="every 2s"' in progress.content.decode()
    CustomerImport.objects.filter(pk=created.pk).update(mapping={})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        lead_client.post(
            reverse("customers:import", args=[created.pk]),
            {"email": "E-posta", "reference": "Rezervasyon No"},
        )
    assert len(callbacks) == 1
    created.refresh_from_db()
    assert (created.status, created.accepted) == (ImportStatus.DONE, 1)
    done = lead_client.get(
        reverse("customers:import_progress", args=[created.pk]), HTTP_HX_REQUEST="true"
    )
    assert done["HX-Refresh"] == "true"


def test_unreadable_file_is_refused_at_upload(lead_client: Client) -> None:
    response = lead_client.post(
        reverse("customers:imports"), {"file": SimpleUploadedFile("old.xls", b"\xd0\xcf\x11\xe0x")}
    )
    assert response.status_code == 400
    assert "Save it as .xlsx or CSV" in response.context["form"].errors["file"][0]
    assert CustomerImport.objects.count() == 0


def test_list_page_shows_recent_lists(lead_client: Client, django_assert_num_queries: Any) -> None:
    upload(lead_client)
    CustomerImport.objects.bulk_create([CustomerImport(filename=f"{n}.csv") for n in range(5)])
    # session, user, profile, alert badge, incidents of the upload form, the lists
    with django_assert_num_queries(6):
        response = lead_client.get(reverse("customers:imports"))
    assert response.status_code == 200
    assert len(response.context["recent"]) == 6


@pytest.mark.parametrize("name", ["imports", "import", "import_progress", "import_rejected"])
def test_agents_get_403_and_see_nothing(agent_client: Client, name: str) -> None:
    created = CustomerImport.objects.create(filename="secret.csv")
    args = [] if name == "imports" else [created.pk]
    response = agent_client.get(reverse(f"customers:{name}", args=args))
    assert response.status_code == 403
    assert b"secret.csv" not in response.content


def test_agents_cannot_upload(agent_client: Client) -> None:
    response = agent_client.post(
        reverse("customers:imports"), {"file": SimpleUploadedFile("l.csv", CSV.encode())}
    )
    assert response.status_code == 403
    assert CustomerImport.objects.count() == 0

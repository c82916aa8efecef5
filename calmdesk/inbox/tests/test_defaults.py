"""install_default_form: the seed's form, idempotent, never undoing an admin's edits."""

from __future__ import annotations

import pytest

from calmdesk.accounts.models import Team
from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.models import FormAlias, FormField
from calmdesk.tickets.models import RequestType

pytestmark = pytest.mark.django_db


def test_installs_the_seed_fields_in_order_with_four_languages() -> None:
    install_default_form()

    fields = list(FormField.objects.order_by("order"))
    assert [(f.key, f.field_type, f.required) for f in fields] == [
        ("name", "text", True),
        ("email", "email", True),
        ("phone", "phone", False),
        ("request_type", "choice", True),
        ("departure_date", "date", False),
        ("booking_reference", "text", False),
        ("message", "long_text", True),
        ("attachments", "file", False),
    ]
    assert all(set(f.labels) == {"en", "fa", "tr", "lt"} for f in fields)
    assert FormField.objects.get(key="booking_reference").max_length == 20
    assert FormField.objects.get(key="departure_date").label("en") == "Departure date"


def test_each_request_type_routes_to_its_team() -> None:
    install_default_form()

    routes = {rt.key: rt.team.slug for rt in RequestType.objects.select_related("team")}
    assert routes == {
        "refund": "refunds",
        "cancellation": "cancellations",
        "change": "changes",
        "other": "general",
    }
    assert RequestType.objects.get(key="change").name("tr") == "Gelecekteki seyahatte değişiklik"
    assert sorted(Team.objects.values_list("name", flat=True)) == [
        "Cancellations",
        "General",
        "Refunds",
        "Trip changes",
    ]


def test_refund_alias_preselects_refund() -> None:
    install_default_form()

    alias = FormAlias.objects.get(path="refund")
    assert alias.request_type is not None
    assert alias.request_type.key == "refund"
    assert alias.title("lt") == "Prašymas grąžinti pinigus"


def test_running_twice_changes_nothing_and_keeps_admin_edits() -> None:
    install_default_form()
    FormField.objects.filter(key="phone").update(required=True, labels={"en": "Mobile"})
    Team.objects.filter(slug="general").update(name="Front desk")

    install_default_form()

    assert FormField.objects.count() == 8
    assert RequestType.objects.count() == 4
    assert Team.objects.count() == 4
    assert FormAlias.objects.count() == 1
    phone = FormField.objects.get(key="phone")
    assert phone.required is True
    assert phone.label("en") == "Mobile"


def test_existing_team_with_the_seed_name_is_reused() -> None:
    Team.objects.create(name="Refunds", slug="money-back")

    install_default_form()

    assert RequestType.objects.get(key="refund").team.slug == "money-back"
    assert Team.objects.filter(name="Refunds").count() == 1

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from calmdesk.core.testing.factories import UserFactory
from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.models import FormAlias, FormField

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client: Client) -> Client:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_lists_the_seed_form_fields_and_aliases(admin_client_logged_in: Client) -> None:
    install_default_form()

    fields = admin_client_logged_in.get(reverse("admin:inbox_formfield_changelist"))
    aliases = admin_client_logged_in.get(reverse("admin:inbox_formalias_changelist"))

    assert fields.status_code == 200
    assert "departure_date" in fields.content.decode()
    assert aliases.status_code == 200
    assert "/refund" in aliases.content.decode()


def test_admin_refuses_a_choice_field_without_choices(admin_client_logged_in: Client) -> None:
    response = admin_client_logged_in.post(
        reverse("admin:inbox_formfield_add"),
        {
            "key": "cabin_class",
            "field_type": "choice",
            "labels": '{"en": "Cabin class"}',
            "help_texts": "{}",
            "choices": "[]",
            "order": 5,
            "active": "on",
        },
    )

    assert response.status_code == 200
    assert "A choice field needs a list of choices" in response.content.decode()
    assert not FormField.objects.filter(key="cabin_class").exists()


def test_admin_edits_an_alias(admin_client_logged_in: Client) -> None:
    install_default_form()
    alias = FormAlias.objects.get(path="refund")

    page = admin_client_logged_in.get(reverse("admin:inbox_formalias_change", args=[alias.pk]))

    assert page.status_code == 200


def test_an_alias_cannot_take_a_path_calmdesk_serves(admin_client_logged_in: Client) -> None:
    response = admin_client_logged_in.post(
        reverse("admin:inbox_formalias_add"),
        {"path": "crisis", "titles": "{}", "intros": "{}", "active": "on"},
    )

    assert response.status_code == 200
    assert "/crisis is used by Calmdesk itself." in response.content.decode()
    assert not FormAlias.objects.filter(path="crisis").exists()


def test_a_lead_files_a_failed_request_again_from_the_admin(
    admin_client_logged_in: Client,
) -> None:
    from calmdesk.inbox.models import Submission, SubmissionState
    from calmdesk.inbox.services import intake_accept
    from calmdesk.inbox.validation import validate_submission
    from calmdesk.tickets.models import Ticket

    install_default_form()
    submission = validate_submission(
        {"name": "Ayşe", "email": "ayse@example.com", "request_type": "refund", "message": "Hi"},
        [],
        language="en",
    )
    row = intake_accept(submission=submission, file=False).submission
    Submission.objects.filter(pk=row.pk).update(
        state=SubmissionState.FAILED, attempts=5, error="OperationalError: disk full"
    )
    changelist = reverse("admin:inbox_submission_changelist")

    listed = admin_client_logged_in.get(changelist + "?state__exact=failed")
    response = admin_client_logged_in.post(
        changelist, {"action": "file_again", "_selected_action": [row.pk]}, follow=True
    )

    assert row.reference in listed.content.decode()
    assert "disk full" not in listed.content.decode()  # the error is on the row's own page
    assert "1 request will be filed again." in response.content.decode()
    row.refresh_from_db()
    assert row.state == SubmissionState.FILED  # the test worker files at once
    assert Ticket.objects.get().pk == row.pk
    assert admin_client_logged_in.get(reverse("admin:inbox_submission_add")).status_code == 403

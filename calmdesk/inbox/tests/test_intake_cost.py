"""Intake is the hot path of a surge: it reads little and reloads configuration only on edits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.models import FormField
from calmdesk.inbox.services import intake_accept, intake_submit, submissions_file
from calmdesk.inbox.validation import SubmissionInvalid, validate_submission
from calmdesk.replies.defaults import install_default_templates
from calmdesk.routing.defaults import install_default_rules
from calmdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> None:
    install_default_form()
    install_default_rules()
    install_default_templates()


def data(n: int, **extra: str) -> dict[str, str]:
    departure = (timezone.localdate() + timedelta(days=3)).isoformat()
    return {
        "name": "Ayşe",
        "email": f"ayse{n}@example.com",
        "request_type": "refund",
        "departure_date": departure,
        "message": "Please refund my cancelled sailing.",
        **extra,
    }


def statements(captured: CaptureQueriesContext, verb: str) -> list[str]:
    # PostgreSQL writes a union's branches in parentheses: "(SELECT …) UNION (SELECT …)".
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip(" (").startswith(verb)]


def test_a_first_contact_reads_twice_and_writes_its_rows_once(seeded: Any) -> None:
    validate_submission(data(0), [], language="en")  # warm the configuration cache
    intake_submit(submission=validate_submission(data(0), [], language="en"))

    with CaptureQueriesContext(connection) as captured:
        submission = validate_submission(data(1), [], language="en")
        intake_submit(submission=submission)

    selects = statements(captured, "SELECT")
    # The customer's identities, the queue ahead (tickets, then requests accepted and not
    # filed yet), and the tag the urgent rule adds.
    assert len(selects) == 4
    assert "customers_identity" in selects[0]
    assert "COUNT(*)" in selects[1]
    assert "tickets_ticket" in selects[1]
    assert "COUNT(*)" in selects[2]
    assert "inbox_submission" in selects[2]
    assert "tickets_tag" in selects[3]
    assert not statements(captured, "UPDATE")
    inserted = [q.split('"')[1] for q in statements(captured, "INSERT")]
    assert sorted(inserted) == sorted(
        [
            "customers_customer",
            "customers_identity",
            "tickets_ticket",
            "tickets_message",
            "tickets_ticketevent",  # created
            "tickets_ticket_tags",
            "tickets_ticketevent",  # triage
            "core_outboxmessage",
            "tickets_ticketevent",  # autoresponder
            "conversations_contact",  # every contact is recorded (contacts per problem)
        ]
    )


def test_a_first_contact_with_a_full_name_reads_once_more_for_its_namesakes(seeded: Any) -> None:
    validate_submission(data(0), [], language="en")  # warm the configuration cache
    intake_submit(submission=validate_submission(data(0), [], language="en"))

    with CaptureQueriesContext(connection) as captured:
        submission = validate_submission(data(1, name="Ayşe Yılmaz"), [], language="en")
        intake_submit(submission=submission)

    selects = statements(captured, "SELECT")
    # One more read than a first name alone: is there any active ticket under the same name
    # or family name (the same person writing from an address we do not know yet, a family on
    # one booking: merge suggestions)? One id-only, bounded (LIMIT) union on
    # customer_name_key_idx / customer_family_key_idx (conversations.dedup.nothing_to_compare);
    # the candidates themselves are loaded only when it finds one.
    assert len(selects) == 5
    assert "customers_identity" in selects[0]
    assert '"name_key"' in selects[1]
    assert "LIMIT" in selects[1]
    assert "COUNT(*)" in selects[2]
    assert "COUNT(*)" in selects[3]
    assert "tickets_tag" in selects[4]
    assert not statements(captured, "UPDATE")


def test_accepting_a_request_is_one_insert_once_the_wait_is_known(seeded: Any) -> None:
    intake_accept(submission=validate_submission(data(0), [], language="en"), file=False)

    with CaptureQueriesContext(connection) as captured:
        submission = validate_submission(data(1), [], language="en")
        intake_accept(submission=submission, intake_key="form:abc", file=False)

    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().split(" ", 1)[0] in ("SELECT", "INSERT", "UPDATE", "DELETE")
    ]
    if connection.vendor == "postgresql":
        # The ticket id comes from the ticket table's sequence inside the INSERT.
        assert len(writes) == 1
        assert "nextval(" in writes[0]
    else:
        # SQLite moves the ticket table's AUTOINCREMENT counter in the same transaction.
        assert len(writes) == 2
        assert writes[0].startswith("UPDATE sqlite_sequence")
    assert writes[-1].startswith('INSERT INTO "inbox_submission"')


def test_filing_an_accepted_request_repeats_its_wait_instead_of_counting_again(
    seeded: Any,
) -> None:
    accepted = intake_accept(submission=validate_submission(data(0), [], language="en"), file=False)

    with CaptureQueriesContext(connection) as captured:
        assert submissions_file() == 1

    assert not [q for q in captured.captured_queries if "COUNT(*)" in q["sql"]]
    ticket = Ticket.objects.get()
    assert ticket.pk == accepted.submission.pk
    assert ticket.announced_wait_minutes == accepted.submission.wait_minutes


def test_an_edited_form_field_is_used_at_once(seeded: Any) -> None:
    validate_submission(data(0), [], language="en")
    field = FormField.objects.get(key="booking_reference")
    field.required = True
    field.save()

    with pytest.raises(SubmissionInvalid) as invalid:
        validate_submission(data(1), [], language="en")

    assert list(invalid.value.errors) == ["booking_reference"]

"""Accept now, file right after: the answer comes from one row, the worker makes the ticket."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import set_script_prefix
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from calmdesk.conversations.models import ContactOutcome
from calmdesk.core.models import OutboxMessage
from calmdesk.inbox import services
from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.models import Submission, SubmissionState
from calmdesk.inbox.services import (
    FILING_MAX_ATTEMPTS,
    intake_accept,
    intake_submit,
    submissions_file,
    submissions_sweep,
    tracking_url,
)
from calmdesk.inbox.validation import validate_submission
from calmdesk.replies.defaults import install_default_templates
from calmdesk.routing.defaults import install_default_rules
from calmdesk.staffing.selectors import _INTAKE_WAITS as intake_wait_cache
from calmdesk.staffing.selectors import expected_wait, intake_wait
from calmdesk.tickets.enums import Priority
from calmdesk.tickets.models import Ticket

from .factories import pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seed() -> None:
    install_default_form()
    install_default_rules()
    install_default_templates()


@pytest.fixture
def no_worker(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker is busy: accepted requests wait until the test files them."""
    kicks: list[int] = []
    monkeypatch.setattr(services, "submissions_kick", lambda: kicks.append(1))
    return kicks


def data(n: int = 0, **extra: Any) -> dict[str, Any]:
    departure = (timezone.localdate() + timedelta(days=3)).isoformat()
    return {
        "name": "Ayşe Yılmaz",
        "email": f"ayse{n}@example.com",
        "request_type": "refund",
        "departure_date": departure,
        "booking_reference": f"XK7P2{n}",
        "message": "My sailing was cancelled. Please refund the tickets.",
        **extra,
    }


def accept(n: int = 0, **extra: Any) -> services.Accepted:
    submission = validate_submission(data(n, **extra), [], language="en")
    return intake_accept(submission=submission, file=False)


def test_the_form_answers_before_the_request_is_filed(client: Client, no_worker: Any) -> None:
    response = client.post("/help", {**data(), "form_token": uuid.uuid4().hex})

    row = Submission.objects.get()
    assert response.status_code == 303
    assert no_worker == [1]  # the worker was asked to file it
    assert not Ticket.objects.exists()
    thanks = client.get(response["Location"]).content.decode()
    assert row.reference in thanks
    assert row.tracking_token in thanks
    assert "within about" in thanks
    assert "We are sending a confirmation to" in thanks
    tracking = client.get(f"/t/{row.tracking_token}")
    assert tracking.status_code == 200
    assert "We have your request" in tracking.content.decode()
    assert row.reference in tracking.content.decode()
    assert '<meta http-equiv="refresh"' in tracking.content.decode()


def test_filing_makes_the_ticket_the_answer_announced(client: Client, no_worker: Any) -> None:
    answer = client.post(
        "/api/v1/requests",
        {
            "name": "Ayşe Yılmaz",
            "email": "ayse@example.com",
            "request_type": "refund",
            "message": "My sailing was cancelled. Please refund the tickets.",
            "fields": {"departure_date": data()["departure_date"]},
        },
        content_type="application/json",
    ).json()
    row = Submission.objects.get()

    assert submissions_file() == 1

    ticket = Ticket.objects.get()
    assert answer["reference"] == ticket.reference == row.reference
    assert answer["tracking_url"].endswith(f"/t/{ticket.tracking_token}")
    assert answer["priority"] == ticket.priority == Priority.URGENT
    assert answer["team"]["slug"] == ticket.team.slug
    assert answer["expected_wait"]["minutes"] == ticket.announced_wait_minutes
    assert ticket.created_at == row.received_at  # the SLA clock started when it was sent
    ack = OutboxMessage.objects.get(kind="autoresponder")
    assert answer["expected_wait"]["label"] in ack.body_text
    row.refresh_from_db()
    assert (row.state, row.outcome, row.ticket_id) == (
        SubmissionState.FILED,
        ContactOutcome.NEW,
        ticket.pk,
    )
    page = client.get(f"/t/{ticket.tracking_token}").content.decode()
    assert "My sailing was cancelled" in page


def test_a_ticket_opened_meanwhile_never_takes_the_reserved_reference(no_worker: Any) -> None:
    first = accept(1)
    second = accept(2)
    # Another channel opens a ticket before the worker files the accepted ones.
    other = intake_submit(submission=validate_submission(data(3), [], language="en")).ticket

    submissions_file()

    assert other.pk > second.submission.pk > first.submission.pk
    assert sorted(Ticket.objects.values_list("pk", flat=True)) == [
        first.submission.pk,
        second.submission.pk,
        other.pk,
    ]


def test_the_same_intake_key_is_accepted_once(no_worker: Any) -> None:
    submission = validate_submission(data(), [], language="en")

    first = intake_accept(submission=submission, intake_key="form:k", file=False)
    again = intake_accept(submission=submission, intake_key="form:k", file=False)

    assert (first.created, again.created) == (True, False)
    assert again.submission.pk == first.submission.pk
    assert Submission.objects.count() == 1


def test_requests_waiting_to_be_filed_count_in_the_wait(no_worker: Any) -> None:
    accepted = [accept(n) for n in range(3)]
    team = accepted[0].submission.team

    # Three urgent requests are ahead of a fourth, though none is a ticket yet.
    probe = services._preview(
        validate_submission(data(9), [], language="en"),
        channel="form",
        hint=None,
        now=timezone.now(),
    )
    assert expected_wait(team=team, ticket=probe, now=timezone.now()).ahead == 3
    submissions_file()
    assert expected_wait(team=team, ticket=probe, now=timezone.now()).ahead == 3


def test_a_filing_routed_elsewhere_announces_its_own_wait(no_worker: Any) -> None:
    row = accept().submission
    # Intake announced another priority than the filing decides (a rule on the customer).
    Submission.objects.filter(pk=row.pk).update(priority=Priority.LOW, wait_minutes=99999)

    submissions_file()

    ticket = Ticket.objects.get()
    assert ticket.priority == Priority.URGENT
    assert ticket.announced_wait_minutes not in (None, 99999)


def test_a_failed_filing_is_kept_and_retried_by_the_sweep(
    no_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = accept().submission
    calls: list[int] = []

    def broken(**kwargs: Any) -> Any:
        calls.append(1)
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "intake_submit", broken)
    assert submissions_file() == 0
    row.refresh_from_db()
    assert calls == [1]  # not retried again and again in the same loop
    assert (row.state, row.attempts) == (SubmissionState.RECEIVED, 1)
    assert "database went away" in row.error

    monkeypatch.undo()
    install_default_form()
    assert submissions_sweep() == 1
    row.refresh_from_db()
    assert (row.state, row.error) == (SubmissionState.FILED, "")
    assert Ticket.objects.get().pk == row.pk


def test_a_filing_that_keeps_failing_is_marked_failed(
    no_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = accept().submission
    monkeypatch.setattr(services, "intake_submit", lambda **kw: 1 / 0)

    for _ in range(FILING_MAX_ATTEMPTS):
        submissions_sweep()

    row.refresh_from_db()
    assert (row.state, row.attempts) == (SubmissionState.FAILED, FILING_MAX_ATTEMPTS)
    assert "ZeroDivisionError" in row.error


def test_rows_of_a_worker_that_died_are_handed_back_and_filed_once(no_worker: Any) -> None:
    row = accept().submission
    submissions_file()
    ticket = Ticket.objects.get()
    # The worker filed it but died before marking it; its claim is old.
    Submission.objects.filter(pk=row.pk).update(
        state=SubmissionState.FILING, claimed_at=timezone.now() - timedelta(hours=1)
    )

    assert submissions_sweep() == 1

    row.refresh_from_db()
    assert (row.state, row.ticket_id) == (SubmissionState.FILED, ticket.pk)
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 1


def test_a_recent_claim_is_left_to_its_worker(no_worker: Any) -> None:
    row = accept().submission
    Submission.objects.filter(pk=row.pk).update(
        state=SubmissionState.FILING, claimed_at=timezone.now()
    )

    assert submissions_sweep() == 0
    assert not Ticket.objects.exists()


def test_attachments_wait_in_staging_and_become_the_tickets(client: Client, no_worker: Any) -> None:
    response = client.post(
        "/help", {**data(), "form_token": uuid.uuid4().hex, "attachments": pdf_upload()}
    )
    assert response.status_code == 303
    staged = Submission.objects.get().payload["attachments"]
    assert [item["name"] for item in staged] == ["ticket.pdf"]
    assert default_storage.exists(staged[0]["path"])

    submissions_file()

    attachment = Ticket.objects.get().messages.get().attachments.get()
    assert (attachment.filename, attachment.content_type) == ("ticket.pdf", "application/pdf")
    assert attachment.file.read().startswith(b"%PDF")
    assert not default_storage.exists(staged[0]["path"])


def test_a_process_asks_the_worker_at_once_then_once_more_at_the_end_of_the_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from calmdesk.inbox import tasks

    now: list[int] = []
    later: list[float] = []

    class Task:
        def __call__(self) -> None:
            now.append(1)

        def schedule(self, *, delay: float) -> None:
            later.append(delay)

    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(tasks, "file_submissions", Task())
    monkeypatch.setattr(services, "_kicks", {"last": 0.0, "trailing": 0.0})

    for _ in range(5):
        services.submissions_kick()

    # One task at once; the four requests accepted right after share one task scheduled for
    # the end of the interval (none waits for the minute sweep).
    assert now == [1]
    assert len(later) == 1
    assert 0 < later[0] <= services.KICK_INTERVAL


def test_a_filing_slice_hands_its_thread_back_and_queues_the_rest(
    no_worker: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calmdesk.inbox import tasks

    for n in range(3):
        accept(n)
    continued: list[int] = []
    task = tasks.file_submissions
    monkeypatch.setattr(HUEY, "immediate", False)
    monkeypatch.setattr(services, "FILING_BATCH", 1)
    monkeypatch.setattr(tasks, "FILING_SLICE_SECONDS", 0.0)
    monkeypatch.setattr(tasks, "file_submissions", lambda: continued.append(1))

    task.call_local()

    assert Ticket.objects.count() == 1
    assert continued == [1]


def test_filed_rows_are_deleted_after_their_retention_and_the_rest_stay(no_worker: Any) -> None:
    old_filed, recent_filed, old_failed = accept(1), accept(2), accept(3)
    submissions_file()
    long_ago = timezone.now() - services.SUBMISSION_RETENTION - timedelta(days=1)
    Submission.objects.filter(pk=old_filed.submission.pk).update(received_at=long_ago)
    Submission.objects.filter(pk=old_failed.submission.pk).update(
        received_at=long_ago, state=SubmissionState.FAILED
    )

    assert services.submissions_purge() == 1

    assert set(Submission.objects.values_list("pk", flat=True)) == {
        recent_filed.submission.pk,
        old_failed.submission.pk,
    }
    assert Ticket.objects.count() == 3


def test_a_large_purge_deletes_in_short_batches(no_worker: Any) -> None:
    rows = [accept(n) for n in range(6)]
    submissions_file()
    long_ago = timezone.now() - services.SUBMISSION_RETENTION - timedelta(days=1)
    Submission.objects.filter(pk__in=[r.submission.pk for r in rows[:5]]).update(
        received_at=long_ago
    )

    with CaptureQueriesContext(connection) as captured:
        assert services.submissions_purge(batch=2) == 5

    deletes = [q for q in captured.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3  # 2 + 2 + 1: the write lock is never held for the whole purge
    assert list(Submission.objects.values_list("pk", flat=True)) == [rows[5].submission.pk]


def test_an_unknown_private_link_is_not_found(client: Client) -> None:
    assert client.get("/t/not-a-token").status_code == 404
    assert client.get("/help/thanks/not-a-token").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_filing_commits_do_not_wait_for_the_disk_and_the_setting_is_restored() -> (
    None
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's synchronous_commit")

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return str(cursor.fetchone()[0])

    with services._commits_without_waiting_for_the_disk():
        during = setting()

    assert (during, setting()) == ("off", "on")


def test_the_private_link_follows_the_site_address_and_the_script_prefix(no_worker: Any) -> None:
    row = accept().submission
    with override_settings(SITE_URL="https://help.example.com"):
        assert tracking_url(row) == f"https://help.example.com/t/{row.tracking_token}"
        set_script_prefix("/desk/")
        try:
            assert tracking_url(row) == f"https://help.example.com/desk/t/{row.tracking_token}"
        finally:
            set_script_prefix("/")
    with override_settings(SITE_URL="http://127.0.0.1:9000"):
        assert tracking_url(row) == f"http://127.0.0.1:9000/t/{row.tracking_token}"


def test_the_answer_waits_by_the_due_times_although_the_preview_skips_them(
    no_worker: Any,
) -> None:
    """The intake prepares its ticket without due times; a wait computed afresh fills them, so
    the queue ahead is counted by due time, as the queue page orders it."""
    accept(1)
    assert submissions_file() == 1
    # An urgent ticket sent earlier but due later (say a policy was shortened since): the
    # queue shows the new request first, so nothing is ahead of it.
    Ticket.objects.update(first_reply_due_at=timezone.now() + timedelta(days=30))
    intake_wait_cache.forget()
    preview = services._preview(
        validate_submission(data(2), [], language="en"),
        channel="form",
        hint=None,
        now=timezone.now(),
    )
    assert preview.first_reply_due_at is None

    estimate = intake_wait(ticket=preview, now=timezone.now())

    assert preview.first_reply_due_at is not None
    assert estimate.ahead == 0

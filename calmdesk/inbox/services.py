"""Public intake: one submission → one ticket (or a follow-up of the customer's open ticket on
the same matter), acknowledged with an honest expected wait.

The web form and the API *accept* a request in one row (``intake_accept``): the answer —
reference, private link, priority, expected wait — is decided from the submitted fields and the
cached configuration, and the row is written before anything else. The worker then *files* it
(``submissions_file`` → ``intake_submit``): the customer, the dedup, triage, the ticket, its
events and the acknowledgement, exactly as a synchronous intake would. In a surge the form keeps
answering at the speed of one insert, and nothing accepted can be lost: a filing that fails is
retried, one whose task was lost is found by the periodic sweep.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Field
from django.urls import get_script_prefix, reverse
from django.utils import timezone

from calmdesk.conversations.models import ContactOutcome
from calmdesk.conversations.services import (
    Announced,
    InboundContact,
    announced_estimate,
    contact_receive,
    subject_from_text,
)
from calmdesk.customers.models import Customer, IdentityKind
from calmdesk.incidents.linking import incident_for_intake
from calmdesk.staffing.selectors import WaitEstimate, intake_wait
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import RequestType, Ticket, new_tracking_token
from calmdesk.tickets.services import ticket_prepare, ticket_prepare_for_incident

from .models import Submission, SubmissionState
from .validation import CleanSubmission, active_request_types

log = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    ticket: Ticket
    created: bool  # False when the same intake key was submitted before, or on a follow-up
    estimate: WaitEstimate
    # ContactOutcome: "new", "suggested", or "follow_up" when the request was added to the
    # customer's open ticket on the same matter instead of opening another one.
    outcome: str = ContactOutcome.NEW
    # The address the submitter gave: a follow-up's confirmation names it (and nothing of the
    # ticket: the address is unverified, the submitter may not be the ticket's customer).
    email: str = ""

    @property
    def tracking_url(self) -> str:
        return tracking_url(self.ticket)

    @property
    def followed_up(self) -> bool:
        """The request was added to an open ticket: the submitter must not be shown it."""
        return self.outcome in (ContactOutcome.FOLLOW_UP, ContactOutcome.THREAD)


def tracking_url(ticket: Ticket | Submission) -> str:
    """The private link of a ticket, or of a request accepted and not filed yet (the ticket
    it becomes takes the same token)."""
    start, end = _tracking_url_parts(settings.SITE_URL, get_script_prefix())
    return f"{start}{ticket.tracking_token}{end}"


@functools.lru_cache(maxsize=16)
def _tracking_url_parts(site_url: str, script_prefix: str) -> tuple[str, str]:
    """The link around its token, reversed once per address (tokens are URL-safe as they
    are, so nothing of the token needs quoting)."""
    marker = "TOKEN0MARKER"
    start, _, end = (site_url + reverse("inbox:track", args=[marker])).partition(marker)
    return start, end


def intake_submit(
    *,
    submission: CleanSubmission,
    channel: str = Channel.FORM,
    intake_key: str | None = None,
    auto_submitted: bool = False,
    incident_hint: str | None = None,
    now: datetime | None = None,
    reserved_ticket_id: int | None = None,
    tracking_token: str = "",
    announced: Announced | None = None,
) -> IntakeResult:
    """Store the request, triage it, estimate the wait and queue the acknowledgement.

    The request is one contact (``conversations.services.contact_receive``): a known customer
    writing again on a matter that is still open is added to that ticket as a follow-up.
    Everything that only reads (matching the customer, triage, linking to a public incident,
    due times, the expected wait, the autoresponder limit) happens before the write
    transaction, which then holds only the inserts: in a surge, intakes queue on the
    database's write lock, not on Python.

    A request that belongs to a public incident (``incidents.linking``) is linked and tagged,
    goes to the incident's team — its wait is that team's queue — and gets the incident's
    acknowledgement (the policy in force and the crisis page). ``incident_hint`` is the slug
    of the crisis page whose form link the customer followed.

    A follow-up gets no acknowledgement; the ticket's own address is told instead ("we added
    your message to CD-…", at most once an hour) and the submitter sees neither the ticket's
    reference nor its link (``IntakeResult.followed_up``).

    Idempotent on ``intake_key``: a second submission with the same key returns the first
    outcome and creates nothing. The acknowledgement is never sent to auto-submitted mail.

    The form and the API go through ``intake_accept`` first, and the worker calls this with
    the accepted request's reserved ticket id, private link and announced wait.
    """
    result = contact_receive(
        InboundContact(
            channel=channel,
            identities=[
                (IdentityKind.EMAIL, submission.email),
                (IdentityKind.PHONE, submission.phone),
            ],
            name=submission.name,
            subject=submission.subject,
            body_text=submission.message,
            attachments=submission.attachments,
            language=submission.language,
            request_type=submission.request_type,
            custom_fields=submission.custom_fields,
            external_key=intake_key,
            intake_key=intake_key,
            auto_submitted=auto_submitted,
            incident_hint=incident_hint,
            reserved_ticket_id=reserved_ticket_id,
            tracking_token=tracking_token,
            announced=announced,
        ),
        now=now,
    )
    return IntakeResult(
        ticket=result.ticket,
        created=result.created,
        estimate=result.estimate,
        outcome=result.outcome,
        email=submission.email,
    )


# ------------------------------------------------------------------------------------------
# Accept now, file right after
# ------------------------------------------------------------------------------------------

FILING_BATCH = 20
FILING_MAX_ATTEMPTS = 5
# A claim older than this is a worker that died mid-batch: the sweep hands its rows back.
FILING_STALE_CLAIM = timedelta(minutes=10)
# A filing task works this long, then hands its thread back (and queues its continuation if
# requests are still waiting): the acknowledgements and replies it queued are not held up
# behind a surge's backlog.
FILING_SLICE_SECONDS = 1.0
# The web servers ask for a filing task at most this often per process.
KICK_INTERVAL = 0.25
STAGING_DIR = "intake"
# Filed rows are kept this long (a follow-up's private link shows "added" from its row), then
# deleted: the ticket holds everything they held.
SUBMISSION_RETENTION = timedelta(days=90)


@dataclass
class Accepted:
    """A request accepted by the form or the API, before or after the worker files it."""

    submission: Submission
    created: bool  # False when the same intake key was accepted before

    @property
    def tracking_url(self) -> str:
        return tracking_url(self.submission)


def intake_accept(
    *,
    submission: CleanSubmission,
    channel: str = Channel.FORM,
    intake_key: str | None = None,
    incident_hint: str | None = None,
    now: datetime | None = None,
    file: bool = True,
) -> Accepted:
    """Accept a validated request in one row and answer at once; the worker files it.

    The answer is decided here, from the submitted fields alone: the triage rules and the
    public incidents (both cached) give the team and the priority, and ``intake_wait`` the
    expected wait, counting the backlog of requests not filed yet. Rules on the customer's
    record and incident links by the customer's bookings need the customer, so they apply
    when the request is filed; if they move it to another team or priority, the ticket and
    its acknowledgement announce the wait computed then.

    The row reserves the ticket id (the reference) and the private link, so both work from
    the first second: before the request is filed the tracking page says it is being filed.
    Idempotent on ``intake_key``: the same key returns the first acceptance (``created``
    False) and writes nothing. ``file``: ask the worker to file it now (tests and imports
    that file themselves pass False).
    """
    now = now or timezone.now()
    preview = _preview(submission, channel=channel, hint=incident_hint, now=now)
    estimate = intake_wait(ticket=preview, now=now)
    row = Submission(
        received_at=now,
        channel=channel,
        intake_key=intake_key,
        tracking_token=new_tracking_token(),
        language=submission.language,
        payload=_payload(submission, incident_hint),
        team=preview.team,
        priority=preview.priority,
        queue_score=preview.queue_score,
        wait_minutes=estimate.minutes,
    )
    try:
        _insert(row, attachments=submission.attachments)
    except IntegrityError:
        _unstage(row.payload)  # a repeat: its uploads are not kept twice
        existing = Submission.objects.filter(intake_key=intake_key).first() if intake_key else None
        if existing is None:
            raise
        return Accepted(existing, created=False)
    if file:
        submissions_kick()
    return Accepted(row, created=True)


def _preview(
    submission: CleanSubmission, *, channel: str, hint: str | None, now: datetime
) -> Ticket:
    """The ticket as intake would prepare it for a customer we know nothing about: never
    written, it only decides the team, the priority and the wait of the answer."""
    customer = Customer(name=submission.name[:200], language=submission.language, created_at=now)
    prepared = ticket_prepare(
        customer=customer,
        subject=submission.subject.strip() or subject_from_text(submission.message),
        body_text=submission.message,
        request_type=submission.request_type,
        channel=channel,
        language=submission.language,
        custom_fields=submission.custom_fields,
        now=now,
        due_times=False,  # ``intake_wait`` fills them if it computes the wait afresh
    )
    incident = incident_for_intake(
        ticket=prepared.ticket,
        customer=customer,
        text=f"{submission.subject}\n{submission.message}",
        hint=hint,
    )
    if incident is not None:
        prepared = ticket_prepare_for_incident(prepared, incident, due_times=False)
    return prepared.ticket


def _payload(submission: CleanSubmission, incident_hint: str | None) -> dict[str, Any]:
    return {
        "name": submission.name,
        "email": submission.email,
        "phone": submission.phone,
        "request_type": submission.request_type.key if submission.request_type else None,
        "subject": submission.subject,
        "message": submission.message,
        "custom_fields": submission.custom_fields,
        "incident_hint": incident_hint,
        "attachments": [],
    }


def _insert(row: Submission, *, attachments: Sequence[UploadedFile]) -> None:
    """One write: the row with the next ticket id reserved for it.

    PostgreSQL takes the id from the ticket table's own sequence (``nextval``) inside the
    INSERT: one autocommitted statement. SQLite first moves the ticket table's AUTOINCREMENT
    counter (``UPDATE … RETURNING``), then inserts. Either way no ticket opened meanwhile by
    another channel can take the id. (A trigger moving SQLite's counter inside a single INSERT
    was tried and measured slower: 465–518 instead of 548 requests/s.)

    The statement is written once per process from the model's fields, and the values are
    prepared by the fields themselves (dates, JSON), as the ORM would: this is the one write
    a surge makes per request, and the ORM's insert machinery cost a fifth of it."""
    if attachments:
        row.payload["attachments"] = _stage(row.tracking_token, attachments)
    values = [prepare(getattr(row, attname)) for attname, prepare in _insert_preparers()]
    # Inside a caller's transaction a savepoint keeps a repeated key (IntegrityError) from
    # aborting it; a request runs in autocommit, where the statements stand alone.
    guard = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    if connection.vendor == "postgresql":
        with guard, connection.cursor() as cursor:
            cursor.execute(_insert_sql(connection.vendor), [_ticket_sequence(), *values])
            row.pk = cursor.fetchone()[0]
    else:
        # The id reserved (in a surge, from this process's block: no statement at all) and the
        # INSERT, autocommitted under the writer gate (calmdesk/core/sqlite), not in one
        # transaction: SQLite's write lock is held one statement at a time, and other writers
        # queue on the gate, going on within a fraction of a millisecond of each other
        # (SQLite's own busy wait sleeps a whole millisecond and more). A failed INSERT leaves
        # its reserved id unused, as a follow-up does.
        gated = getattr(connection, "gated", contextlib.nullcontext)
        with guard, gated(), connection.cursor() as cursor:
            if connection.in_atomic_block:  # the caller's transaction may yet roll back
                row.pk = _sqlite_reserve_ticket_ids(cursor, 1)
            else:
                row.pk = _SQLITE_TICKET_IDS.take(cursor)
            cursor.execute(_insert_sql(connection.vendor), [row.pk, *values])
    row._state.adding = False
    row._state.db = connection.alias


# Every column but the id and those a new row leaves empty (NULL).
_INSERT_FIELD_NAMES = (
    "received_at",
    "channel",
    "intake_key",
    "tracking_token",
    "language",
    "payload",
    "team",
    "priority",
    "queue_score",
    "wait_minutes",
    "state",
    "claim",
    "attempts",
    "error",
    "outcome",
)


@functools.cache
def _insert_fields() -> tuple[Field[Any, Any], ...]:
    return tuple(Submission._meta.get_field(name) for name in _INSERT_FIELD_NAMES)  # type: ignore[misc]


# Fields whose ``get_db_prep_save`` returns a str, an int or None as it is given.
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
)


def _as_is(value: Any) -> Any:
    return value


@functools.cache
def _insert_preparers() -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    """Per column of the insert, the row's attribute and how its value goes to the driver:
    text, integers and the team's id as they are (the row is built here from str and int
    values), dates and JSON through their fields, as the ORM would."""

    def through(field: Field[Any, Any]) -> Callable[[Any], Any]:
        return lambda value: field.get_db_prep_save(value, connection)

    return tuple(
        (
            f.attname,
            _as_is if type(f) in _PLAIN_FIELDS or isinstance(f, models.ForeignKey) else through(f),
        )
        for f in _insert_fields()
    )


@functools.cache
def _insert_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    fields = _insert_fields()
    columns = ", ".join(quote(str(c)) for c in ["id", *(f.column for f in fields)])
    first = "nextval(%s::regclass)" if vendor == "postgresql" else "%s"
    values = ", ".join([first, *("%s" for _ in fields)])
    table = quote(Submission._meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608
    return sql + (f" RETURNING {quote('id')}" if vendor == "postgresql" else "")


_SEQUENCE: list[str] = []


def _ticket_sequence() -> str:
    if not _SEQUENCE:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Ticket._meta.db_table])
            _SEQUENCE.append(cursor.fetchone()[0])
    return _SEQUENCE[0]


def _sqlite_reserve_ticket_ids(cursor: Any, n: int) -> int:
    """Move the ticket table's AUTOINCREMENT counter on by ``n``: the last id reserved (the
    ``n`` ids up to it are the caller's; a ticket opened by another channel gets a later one)."""
    table = Ticket._meta.db_table
    bump = "UPDATE sqlite_sequence SET seq = seq + %s WHERE name = %s RETURNING seq"
    cursor.execute(bump, [n, table])
    found = cursor.fetchone()
    if found is None:  # no ticket was ever written: start the counter, once
        with transaction.atomic():
            cursor.execute(
                f"INSERT INTO sqlite_sequence (name, seq) "  # noqa: S608 (our own table name)
                f"SELECT %s, COALESCE(MAX(id), 0) FROM {table} WHERE NOT EXISTS "
                "(SELECT 1 FROM sqlite_sequence WHERE name = %s)",
                [table, table],
            )
            cursor.execute(bump, [n, table])
            found = cursor.fetchone()
    return int(found[0])


class TicketIdBlocks:
    """Ticket ids this process reserved ahead on SQLite, as a PostgreSQL sequence's ``CACHE``
    does: in a surge one counter update serves up to ``most`` requests, and the writer holds
    SQLite's lock for one statement per request instead of two.

    The block adapts to the pace: a block used up within ``lifetime`` seconds of its
    reservation is followed by one twice as large (up to ``most``); at a calmer pace every
    request reserves its own id, so references stay consecutive and in order. Ids left in a
    block older than ``lifetime`` are dropped (a gap in the references, as a follow-up leaves;
    references were never promised to be gapless), so a reference is never much older than its
    request. Another database or a forked child starts afresh.
    """

    def __init__(
        self, *, most: int = 32, lifetime: float = 1.0, clock: Any = time.monotonic
    ) -> None:
        self.most = most
        self.lifetime = lifetime
        self.clock = clock
        self._lock = threading.Lock()
        self._owner: tuple[int, str] | None = None
        self._next = self._last = 0
        self._size = 1
        self._reserved_at = float("-inf")

    def take(self, cursor: Any) -> int:
        owner = (os.getpid(), str(connection.settings_dict["NAME"]))
        with self._lock:
            now = self.clock()
            fresh = now - self._reserved_at < self.lifetime
            if owner != self._owner:
                self._owner, self._next, self._last, fresh = owner, 0, -1, False
            if fresh and self._next <= self._last:
                taken = self._next
                self._next += 1
                return taken
            self._size = min(self._size * 2, self.most) if fresh else 1
            self._last = _sqlite_reserve_ticket_ids(cursor, self._size)
            self._next = self._last - self._size + 2
            self._reserved_at = now
            return self._last - self._size + 1


_SQLITE_TICKET_IDS = TicketIdBlocks()


def _stage(token: str, attachments: Sequence[UploadedFile]) -> list[dict[str, Any]]:
    """Keep the uploads until the request is filed (then they become the ticket's)."""
    staged = []
    for i, upload in enumerate(attachments):
        name = (upload.name or "file").replace("/", "_")[-120:]
        path = default_storage.save(f"{STAGING_DIR}/{token}/{i}-{name}", upload)
        staged.append(
            {
                "path": path,
                "name": upload.name or "file",
                "content_type": upload.content_type or "application/octet-stream",
                "size": upload.size or 0,
            }
        )
    return staged


def _unstage(payload: dict[str, Any]) -> None:
    for item in payload.get("attachments") or ():
        default_storage.delete(item["path"])


def _staged(payload: dict[str, Any]) -> list[UploadedFile]:
    return [
        UploadedFile(
            file=default_storage.open(item["path"], "rb"),
            name=item["name"],
            content_type=item["content_type"],
            size=item["size"],
        )
        for item in payload.get("attachments") or ()
    ]


_kicks: dict[str, float] = {"last": 0.0, "trailing": 0.0}


def submissions_kick() -> None:
    """Ask the worker to file what was accepted: at once, unless this process asked less
    than KICK_INTERVAL ago; then one task is scheduled for the end of that interval (once),
    so no request waits for the minute sweep. A surge thus queues at most a few tasks a
    second per process, each of which files whatever is waiting."""
    from huey.contrib.djhuey import HUEY

    from .tasks import file_submissions

    try:
        if HUEY.immediate:
            file_submissions()
            return
        clock = time.monotonic()
        wait = KICK_INTERVAL - (clock - _kicks["last"])
        if wait <= 0:
            _kicks["last"], _kicks["trailing"] = clock, 0.0
            file_submissions()
        elif not _kicks["trailing"]:
            _kicks["trailing"] = clock
            file_submissions.schedule(delay=wait)
    except Exception:  # the queue is down: the sweep files it within a minute
        log.exception("could not queue the filing of accepted requests")


def submissions_file(*, limit: int | None = None, seconds: float | None = None) -> int:
    """File accepted requests, oldest first, until none is left, ``limit`` are filed or
    ``seconds`` have passed. Several workers may run this at once: each claims its own
    batch. Returns how many were filed."""
    filed = 0
    failed: set[int] = set()  # retried by the next sweep, not again and again in this loop
    deadline = time.monotonic() + seconds if seconds is not None else None
    with _commits_without_waiting_for_the_disk():
        while limit is None or filed < limit:
            size = FILING_BATCH if limit is None else min(FILING_BATCH, limit - filed)
            batch = _claim(size, skip=failed)
            if not batch:
                break
            for row in batch:
                if submission_file(row):
                    filed += 1
                else:
                    failed.add(row.pk)
            if deadline is not None and time.monotonic() >= deadline:
                break
    return filed


@contextlib.contextmanager
def _commits_without_waiting_for_the_disk() -> Iterator[None]:
    """PostgreSQL: the filing's commits do not wait for the WAL flush (``synchronous_commit
    off`` for this connection, while it files). What they write is already durable in the
    accepted row: a database crash can lose at most the last fraction of a second of filings,
    which stay ``filing`` and are filed again by the sweep (idempotent through the intake
    key). A commit then costs microseconds instead of a disk flush (3.5 ms on a busy VM),
    and a worker files several times faster. Nothing else runs this way."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def submissions_waiting() -> bool:
    return Submission.objects.filter(state__literal_in=[SubmissionState.RECEIVED]).exists()


def _claim(size: int, *, skip: set[int]) -> list[Submission]:
    claim = uuid.uuid4().hex
    ids = list(
        Submission.objects.filter(state__literal_in=[SubmissionState.RECEIVED])
        .exclude(pk__in=skip)
        .order_by("pk")
        .values_list("pk", flat=True)[:size]
    )
    if not ids:
        return []
    Submission.objects.filter(pk__in=ids, state=SubmissionState.RECEIVED).update(
        state=SubmissionState.FILING, claim=claim, claimed_at=timezone.now()
    )
    return list(Submission.objects.filter(claim=claim, state=SubmissionState.FILING).order_by("pk"))


def submission_file(row: Submission) -> bool:
    """File one claimed submission (``intake_submit`` with what intake announced). A failure
    is recorded on the row and retried by the sweep, up to FILING_MAX_ATTEMPTS; then the row
    is FAILED and shown to leads (Django admin, "Submissions"). Idempotent: a submission
    filed before (a worker died before marking it) is found by its intake key."""
    payload = row.payload
    try:
        clean = CleanSubmission(
            name=payload.get("name") or "",
            email=payload.get("email") or "",
            phone=payload.get("phone") or "",
            request_type=_request_type(payload.get("request_type")),
            subject=payload.get("subject") or "",
            message=payload.get("message") or "",
            custom_fields=payload.get("custom_fields") or {},
            attachments=_staged(payload),
            language=row.language,
        )
        try:
            result = intake_submit(
                submission=clean,
                channel=row.channel,
                intake_key=row.intake_key or f"submission:{row.pk}",
                incident_hint=payload.get("incident_hint"),
                now=row.received_at,
                reserved_ticket_id=row.pk,
                tracking_token=row.tracking_token,
                announced=Announced(
                    team_id=row.team_id, priority=row.priority, minutes=row.wait_minutes
                ),
            )
        finally:
            for upload in clean.attachments:
                upload.close()
    except Exception as exc:
        log.exception("filing %s failed", row.reference)
        attempts = row.attempts + 1
        Submission.objects.filter(pk=row.pk, claim=row.claim).update(
            state=SubmissionState.FAILED
            if attempts >= FILING_MAX_ATTEMPTS
            else SubmissionState.RECEIVED,
            attempts=attempts,
            error=f"{type(exc).__name__}: {exc}"[:2000],
            claim="",
        )
        return False
    Submission.objects.filter(pk=row.pk).update(
        state=SubmissionState.FILED,
        ticket=result.ticket,
        outcome=result.outcome,
        filed_at=timezone.now(),
        claim="",
        error="",
    )
    _unstage(payload)
    return True


def _request_type(key: str | None) -> RequestType | None:
    if not key:
        return None
    found = next((rt for rt in active_request_types() if rt.key == key), None)
    return found or RequestType.objects.filter(key=key).first()


def submissions_refile(ids: Sequence[int]) -> int:
    """Give failed (or waiting) requests a fresh set of attempts and ask the worker to file
    them (a lead, after fixing what made them fail). Filed ones are left alone."""
    count = Submission.objects.filter(
        pk__in=ids, state__in=[SubmissionState.FAILED, SubmissionState.RECEIVED]
    ).update(state=SubmissionState.RECEIVED, attempts=0, claim="")
    if count:
        submissions_kick()
    return count


def submissions_sweep(*, now: datetime | None = None) -> int:
    """Periodic: hand back the rows of a worker that died mid-batch and file what is left
    (a lost task, a queue that was down). Returns how many were filed."""
    now = now or timezone.now()
    # The condition stated literally: SQLite uses the partial index only then (core.lookups).
    Submission.objects.filter(
        state__literal_in=[SubmissionState.FILING], claimed_at__lt=now - FILING_STALE_CLAIM
    ).update(state=SubmissionState.RECEIVED, claim="")
    return submissions_file()


PURGE_BATCH = 2000


def submissions_purge(*, now: datetime | None = None, batch: int = PURGE_BATCH) -> int:
    """Delete filed rows older than SUBMISSION_RETENTION; failed and waiting ones stay.

    Found through their partial index, and deleted ``batch`` rows per statement: after a surge
    the purge has millions of rows to delete, and one statement would hold the write lock
    (on SQLite, the whole database) while new requests wait to be accepted."""
    now = now or timezone.now()
    old = Submission.objects.filter(
        state__literal_in=[SubmissionState.FILED], received_at__lt=now - SUBMISSION_RETENTION
    )
    deleted = 0
    while ids := list(old.values_list("pk", flat=True)[:batch]):
        count, _by_model = Submission.objects.filter(pk__in=ids).delete()
        deleted += count
    return deleted


__all__ = [
    "Accepted",
    "IntakeResult",
    "announced_estimate",
    "intake_accept",
    "intake_submit",
    "submission_file",
    "submissions_file",
    "submissions_kick",
    "submissions_purge",
    "submissions_refile",
    "submissions_sweep",
    "submissions_waiting",
    "tracking_url",
]

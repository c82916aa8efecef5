"""Replay the labelled corpus through the real ``contact_receive`` and measure dedup.

usage: .venv/bin/python bench/dedup/evaluate.py [--corpus bench/dedup/corpus.jsonl]
                                                [--seed N --contacts M] [--json FILE]

Builds a fresh SQLite database in a temporary directory (migrations, then the seed's form,
request types, triage rules, SLA policies and mail templates), replays every contact of the
corpus in time order through ``conversations.services.contact_receive`` — the code every
channel calls — with the contact's own time as ``now``, and solves a problem's tickets when
the corpus says an agent did. ``--seed``/``--contacts`` generate the corpus in memory instead
of reading a file (``generate.py``).

Figures (ground truth: each contact's problem; a ticket belongs to the problem of the contact
that opened it):

* **automatic merges precision**: follow-ups that joined a ticket of their own problem / all
  automatic follow-ups (target ≥ 0.98);
* **duplicates caught recall**: contacts of an already-known problem that were added to a
  ticket of that problem automatically, or opened a ticket with a merge suggestion pointing
  at one / all contacts of an already-known problem (target ≥ 0.90);
* suggestion precision (suggested contacts with a right candidate / suggested contacts),
  false merges of new problems, the same per language and per noise kind, and the time per
  contact (``contact_receive`` wall time, in process, SQLite).

``replay`` is also called by the quality test (``conversations/tests/test_dedup_quality.py``)
on a small corpus inside the test database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


@dataclass
class Tally:
    contacts: int = 0
    existing: int = 0  # contacts of a problem seen before
    caught: int = 0  # existing, and followed up right or suggested right
    # Existing, and linkable at all without matching other customers on text alone: it came
    # by an identity the desk already has for its writer, or names the problem's booking.
    linkable: int = 0
    linkable_caught: int = 0
    automatic: int = 0  # automatic follow-ups
    automatic_right: int = 0
    suggested: int = 0  # contacts that opened a ticket with suggestions
    suggested_right: int = 0
    first: int = 0  # the first contact of a problem
    first_merged: int = 0  # …wrongly added to another problem's ticket
    first_suggested: int = 0  # …with a (wrong) suggestion

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    def figures(self) -> dict[str, Any]:
        return {
            "contacts": self.contacts,
            "automatic_precision": self.ratio(self.automatic_right, self.automatic),
            "recall": self.ratio(self.caught, self.existing),
            "linkable_recall": self.ratio(self.linkable_caught, self.linkable),
            "linkable": self.linkable,
            "automatic_recall": self.ratio(self.automatic_right, self.existing),
            "suggestion_precision": self.ratio(self.suggested_right, self.suggested),
            "existing": self.existing,
            "automatic": self.automatic,
            "suggested": self.suggested,
            "new_problems": self.first,
            "new_problems_merged": self.first_merged,
            "new_problems_suggested": self.first_suggested,
        }


@dataclass
class Report:
    total: Tally = field(default_factory=Tally)
    by_language: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_noise: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_channel: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    milliseconds: list[float] = field(default_factory=list)
    mistakes: list[dict[str, Any]] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)  # every contact (``--trace``)

    @property
    def automatic_precision(self) -> float:
        return self.total.ratio(self.total.automatic_right, self.total.automatic) or 0.0

    @property
    def recall(self) -> float:
        return self.total.ratio(self.total.caught, self.total.existing) or 0.0

    def as_dict(self) -> dict[str, Any]:
        ms = sorted(self.milliseconds)
        return {
            "total": self.total.figures(),
            "by_language": {k: v.figures() for k, v in sorted(self.by_language.items())},
            "by_noise": {k: v.figures() for k, v in sorted(self.by_noise.items())},
            "by_channel": {k: v.figures() for k, v in sorted(self.by_channel.items())},
            "ms_per_contact": {
                "mean": round(statistics.fmean(ms), 2) if ms else None,
                "p50": round(ms[len(ms) // 2], 2) if ms else None,
                "p95": round(ms[int(len(ms) * 0.95)], 2) if ms else None,
            },
        }


def replay(
    rows: Iterable[dict[str, Any]], *, keep_mistakes: int = 0, only_wrong_merges: bool = False
) -> Report:
    """Replay the corpus through ``contact_receive`` (Django set up, database migrated)."""
    from calmdesk.conversations.models import ContactOutcome
    from calmdesk.conversations.services import InboundContact, contact_receive
    from calmdesk.tickets.enums import ACTIVE_STATUSES, TicketStatus
    from calmdesk.tickets.models import RequestType, Ticket
    from calmdesk.tickets.services import ticket_change_status

    request_types = {rt.key: rt for rt in RequestType.objects.all()}
    ticket_problem: dict[int, int] = {}
    problem_tickets: dict[int, list[int]] = defaultdict(list)
    known: set[int] = set()
    identities: dict[int, set[tuple[str, str]]] = defaultdict(set)  # the desk's, per person
    booking_of: dict[int, str] = {}  # problem → its booking reference (the first one named)
    report = Report()
    for row in rows:
        at = datetime.fromisoformat(row["at"])
        if row["type"] == "customer":
            _file_customer(row, at=at)
            identities[row["person"]].update((k, v) for k, v in row["identities"])
            continue
        if row["type"] == "solve":
            for ticket in Ticket.objects.filter(
                pk__in=problem_tickets[row["problem"]], status__in=ACTIVE_STATUSES
            ):
                ticket_change_status(ticket=ticket, status=TicketStatus.SOLVED, actor=None, now=at)
            continue
        problem = row["problem"]
        reference = row.get("booking_reference") or ""
        contact = InboundContact(
            channel=row["channel"],
            identities=[(kind, value) for kind, value in row["identities"]],
            name=row["name"],
            subject=row["subject"],
            body_text=row["body"],
            language=row["language"],
            request_type=request_types.get(row.get("request_type") or ""),
            custom_fields={"booking_reference": reference} if reference else {},
            external_key=f"bench:{row['id']}",
        )
        started = time.perf_counter()
        result = contact_receive(contact, now=at)
        report.milliseconds.append((time.perf_counter() - started) * 1000)

        tally = Tally(contacts=1)
        existing = problem in known
        outcome = result.outcome
        if result.created:
            ticket_problem[result.ticket.pk] = problem
            problem_tickets[problem].append(result.ticket.pk)
        right = False
        if outcome in (ContactOutcome.FOLLOW_UP, ContactOutcome.THREAD):
            tally.automatic = 1
            right = ticket_problem.get(result.ticket.pk) == problem
            tally.automatic_right = int(right)
        elif outcome == ContactOutcome.SUGGESTED:
            tally.suggested = 1
            right = any(ticket_problem.get(s.candidate_id) == problem for s in result.suggestions)
            tally.suggested_right = int(right)
        contact_identities = {(k, v) for k, v in row["identities"]}
        text = f"{row['subject']}\n{row['body']}".upper()
        names_booking = problem in booking_of and (
            reference.upper() == booking_of[problem] or booking_of[problem] in text
        )
        if existing:
            tally.existing = 1
            tally.caught = int(right)
            if contact_identities & identities[row["person"]] or names_booking:
                tally.linkable = 1
                tally.linkable_caught = int(right)
        else:
            tally.first = 1
            tally.first_merged = tally.automatic
            tally.first_suggested = tally.suggested
        wrong = bool(tally.automatic and not right) or bool(tally.linkable and not right)
        if (
            wrong
            and len(report.mistakes) < keep_mistakes
            and (tally.automatic or not only_wrong_merges)
        ):
            report.mistakes.append(
                {
                    "id": row["id"],
                    "problem": problem,
                    "outcome": outcome,
                    "noise": row["noise"],
                    "channel": row["channel"],
                    "text": (row["subject"] + " | " + row["body"])[:160],
                    "joined_problem": ticket_problem.get(result.ticket.pk),
                    "evidence": result.contact.evidence if result.contact else {},
                }
            )
        report.trace.append(
            {
                "id": row["id"],
                "problem": problem,
                "person": row["person"],
                "outcome": str(outcome),
                "existing": existing,
                "linkable": bool(tally.linkable),
                "right": right,
                "noise": row["noise"],
                "channel": row["channel"],
                "name": row["name"],
                "suggestions": len(result.suggestions),
                "text": (row["subject"] + " | " + row["body"])[:200],
                "evidence": result.contact.evidence if result.contact else {},
            }
        )
        known.add(problem)
        identities[row["person"]].update(contact_identities)
        ticket_reference = result.ticket.custom_fields.get("booking_reference")
        if result.created and isinstance(ticket_reference, str) and ticket_reference:
            booking_of.setdefault(problem, ticket_reference.upper())
        report.total.add(tally)
        report.by_language[row["language"]].add(tally)
        report.by_channel[row["channel"]].add(tally)
        for noise in row["noise"]:
            report.by_noise[noise].add(tally)
    return report


def _file_customer(row: dict[str, Any], *, at: datetime) -> None:
    """A booking holder imported from the booking system before they write."""
    from calmdesk.customers.models import Booking, Customer, Identity

    customer = Customer.objects.create(name=row["name"], language=row["language"], created_at=at)
    Identity.objects.bulk_create(
        [
            Identity(customer=customer, kind=kind, value=value, verified=True)
            for kind, value in row["identities"]
        ]
    )
    Booking.objects.bulk_create(
        [Booking(customer=customer, reference=ref, created_at=at) for ref in row["bookings"]]
    )


def _bootstrap(directory: str) -> None:
    """A fresh SQLite database and variable directory for this run; migrate; the seed's
    configuration."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"sqlite:///{directory}/dedup.sqlite3",
            "CALMDESK_VAR_DIR": directory,
            "REDIS_URL": "",
            "HUEY_IMMEDIATE": "0",
            "EMAIL_URL": "dummymail://",
            "DEBUG": "0",
            "CALMDESK_TESTING": "0",
        }
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from calmdesk.core.demo.loader import install_defaults

    install_defaults()


def _rows(a: argparse.Namespace) -> list[dict[str, Any]]:
    if a.seed is not None:
        sys.path.insert(0, str(HERE))
        from generate import generate

        return generate(seed=a.seed, contacts=a.contacts, on_file=a.on_file)
    with open(a.corpus, encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _print(report: Report) -> None:
    data = report.as_dict()
    total = data["total"]
    print(
        f"contacts {total['contacts']}  known-problem contacts {total['existing']}  "
        f"new problems {total['new_problems']}"
    )
    print(
        f"automatic merges precision {total['automatic_precision']}  "
        f"({report.total.automatic_right}/{report.total.automatic})"
    )
    print(
        f"duplicates caught recall   {total['recall']}  ({report.total.caught}/"
        f"{report.total.existing}; automatic alone {total['automatic_recall']})"
    )
    print(
        f"  of linkable contacts     {total['linkable_recall']}  ({report.total.linkable_caught}/"
        f"{report.total.linkable}: an identity the desk has, or the booking named)"
    )
    print(
        f"suggestion precision       {total['suggestion_precision']}  "
        f"({report.total.suggested_right}/{report.total.suggested})"
    )
    print(
        f"new problems merged wrongly {total['new_problems_merged']}, "
        f"suggested {total['new_problems_suggested']} (of {total['new_problems']})"
    )
    ms = data["ms_per_contact"]
    print(f"ms per contact: mean {ms['mean']}  p50 {ms['p50']}  p95 {ms['p95']}")
    header = (
        f"{'':24} {'n':>5} {'known':>6} {'auto P':>7} {'recall':>7} {'link R':>7} {'sugg P':>7}"
    )
    for title, group in (
        ("language", data["by_language"]),
        ("channel", data["by_channel"]),
        ("noise", data["by_noise"]),
    ):
        print(f"\nby {title}\n{header}")
        for key, f in group.items():
            cells = [
                f["automatic_precision"],
                f["recall"],
                f["linkable_recall"],
                f["suggestion_precision"],
            ]
            shown = " ".join(f"{'—' if c is None else format(c, '.3f'):>7}" for c in cells)
            print(f"{key:24} {f['contacts']:>5} {f['existing']:>6} {shown}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=str(HERE / "corpus.jsonl"))
    ap.add_argument("--seed", type=int, default=None, help="generate the corpus with this seed")
    ap.add_argument("--contacts", type=int, default=2400)
    ap.add_argument("--on-file", type=float, default=0.5, help="with --seed (generate.py)")
    ap.add_argument("--json", default="", help="write the figures to this file")
    ap.add_argument("--mistakes", type=int, default=0, help="print this many mistakes")
    ap.add_argument("--trace", default="", help="write every contact's outcome (JSON lines)")
    ap.add_argument("--wrong-merges", action="store_true", help="only wrong automatic merges")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a threshold or weight of conversations.dedup (tuning on the dev seed)",
    )
    a = ap.parse_args()
    rows = _rows(a)
    with tempfile.TemporaryDirectory(prefix="cd-dedup-") as directory:
        _bootstrap(directory)
        from calmdesk.conversations import dedup

        for assignment in a.set:
            name, _eq, value = assignment.partition("=")
            setattr(dedup, name, float(value))
        report = replay(rows, keep_mistakes=a.mistakes, only_wrong_merges=a.wrong_merges)
    _print(report)
    for mistake in report.mistakes:
        print(json.dumps(mistake, ensure_ascii=False))
    if a.trace:
        with open(a.trace, "w", encoding="utf-8") as out:
            for entry in report.trace:
                out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    if a.json:
        Path(a.json).write_text(json.dumps(report.as_dict(), indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""A labelled corpus of inbound contacts for measuring dedup (``evaluate.py``).

usage: .venv/bin/python bench/dedup/generate.py [--seed 7] [--contacts 2400] [--out FILE]

Customers in English, Turkish, Persian and Lithuanian write about a matter (refund, date
change, cancellation, luggage, invoice, assistance, or the Aurora fire in a crisis wave) and
then, often, again: chasing ("any news?"), restating it in other words, adding details,
forwarding their own earlier mail, or "thanks, but…" after an agent solved it — on the same
channel or another one (form → email → SMS → chat → phone …), from the same identity or one we
do not know yet (a work address, a phone number never given). Families share a booking: a
second member writes about the same matter (the same problem: it should be caught) or about
another one (a different problem). A customer with two matters (a refund, then a date change)
must keep two tickets. In the crisis wave hundreds of customers write almost the same text on
their own bookings: never one problem.

Every contact carries its ground-truth ``problem`` id and ``noise`` tags. One JSON object per
line, in time order: ``{"type": "contact", ...}`` or ``{"type": "solve", "problem": …}`` (an
agent solves the problem's ticket then). The RNG is seeded: same seed, same corpus. The dev
seed (``--seed 7``) is for tuning the thresholds; the test seed (``--seed 2026``, the default)
is the one reported.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import texts as T

START = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
DAYS = 12
CRISIS_AT = START + timedelta(days=6, hours=3)
CHANNELS = ("form", "email", "chat", "sms", "whatsapp", "telegram", "phone", "api")
FIRST_CHANNEL_WEIGHTS = (0.36, 0.26, 0.09, 0.07, 0.06, 0.03, 0.08, 0.05)
LANGUAGE_WEIGHTS = (0.3, 0.3, 0.2, 0.2)
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Name frequency skew: two customers of one language share a full name about once in 500
# pairs (1 in 290 in Lithuanian, whose first names are split by gender); the most common full
# name ("Mehmet Yılmaz") is 1.4 % of a language's customers.
NAME_SKEW = 0.6


@dataclass
class Person:
    pid: int
    language: str
    first: str
    last: str
    email: str
    work_email: str = ""
    phone: str = ""
    telegram: str = ""
    visitor: str = ""  # the chat widget's visitor id (a cookie: kept between chats)
    used: set[tuple[str, str]] = field(default_factory=set)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class Booking:
    ref: str
    date: datetime
    flight: str
    trip: str
    amount: int


@dataclass
class Problem:
    id: int
    person: Person
    kind: str
    booking: Booking
    start: datetime
    template: int
    first_subject: str = ""
    first_body: str = ""
    solved_at: datetime | None = None


class Generator:
    def __init__(self, seed: int, on_file: float = 0.0) -> None:
        self.rng = random.Random(seed)
        self.on_file = on_file
        self.rows: list[dict[str, Any]] = []
        self.people = 0
        self.problems = 0
        self.refs: set[str] = set()
        self.emails: set[str] = set()
        self.filed: set[str] = set()
        self.filed_people: dict[int, dict[str, Any]] = {}
        self.visitors = 0

    # -- people and bookings -----------------------------------------------------------

    def person(self, language: str | None = None, last: str | None = None) -> Person:
        rng = self.rng
        language = language or rng.choices(T.LANGUAGES, LANGUAGE_WEIGHTS)[0]
        firsts, lasts = T.NAMES[language]
        self.people += 1
        first = self.common(firsts)
        last = last or self.common(lasts)
        if language == "lt":
            # One family, one surname stem: the form follows the person's gender.
            base = next((s for s in lasts if T.lt_feminine(s) == last), last)
            last = T.lt_feminine(base) if first in T.LT_FEMALE else base
        person = Person(
            pid=self.people,
            language=language,
            first=first,
            last=last,
            email=self.email(first, last, language, work=False),
        )
        if rng.random() < 0.3:
            person.work_email = self.email(first, last, language, work=True)
        if rng.random() < 0.75:
            person.phone = self.phone(language)
        if rng.random() < 0.3:
            person.telegram = f"telegram:{rng.randint(10**8, 10**10)}"
        return person

    def common(self, names: list[str]) -> str:
        """A name drawn by its frequency rank (Zipf-like, exponent ``NAME_SKEW``): a few
        names recur, most full names are rare, as among real customers."""
        return self.rng.choices(names, [1 / (rank + 1) ** NAME_SKEW for rank in range(len(names))])[
            0
        ]

    def email(self, first: str, last: str, language: str, *, work: bool) -> str:
        rng = self.rng
        if language == "fa":
            local = rng.choice(T.FA_LATIN) + str(rng.randint(1, 999))
        else:
            plain = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
            local = "".join(c for c in plain if c.isascii() and (c.isalnum() or c == "."))
            local = local.replace("ı", "i") + (str(rng.randint(1, 99)) if not work else "")
        domain = (
            rng.choice(["baltic-logistics.lt", "egelojistik.com.tr", "acme.co.uk", "parstrans.ir"])
            if work
            else rng.choice(["example.com", "mail.example.net", "post.example.org"])
        )
        address = f"{local}@{domain}"
        while address in self.emails:
            address = f"{local}{rng.randint(100, 9999)}@{domain}"
        self.emails.add(address)
        return address

    def phone(self, language: str) -> str:
        rng = self.rng
        prefix = {"en": "+4477009", "tr": "+90532", "fa": "+98912", "lt": "+3706"}[language]
        return prefix + "".join(str(rng.randint(0, 9)) for _ in range(7))

    def booking(self, language: str, *, at: datetime | None = None) -> Booking:
        rng = self.rng
        ref = "".join(rng.choice(REF_ALPHABET) for _ in range(6))
        while ref in self.refs or not any(c.isdigit() for c in ref):
            ref = "".join(rng.choice(REF_ALPHABET) for _ in range(6))
        self.refs.add(ref)
        date = (at or START) + timedelta(days=rng.randint(2, 40))
        flight = rng.choice(["TK", "LH", "BT", "DF", "SL"]) + str(rng.randint(100, 9899))
        return Booking(
            ref=ref,
            date=date,
            flight=flight,
            trip=rng.choice(T.TRIPS[language]),
            amount=rng.choice([89, 120, 145, 210, 260, 340, 455, 780]),
        )

    # -- text --------------------------------------------------------------------------

    def values(self, problem: Problem, person: Person) -> dict[str, str]:
        b = problem.booking
        language = person.language
        rng = self.rng
        if language == "fa":
            date = rng.choice([b.date.strftime("%Y/%m/%d"), b.date.strftime("%d/%m")])
            if rng.random() < 0.6:
                date = date.translate(PERSIAN_DIGITS)
        elif language == "lt":
            date = rng.choice([b.date.strftime("%Y-%m-%d"), b.date.strftime("%m.%d")])
        elif language == "tr":
            date = b.date.strftime("%d.%m.%Y")
        else:
            date = rng.choice([b.date.strftime("%d/%m/%Y"), b.date.strftime("%d.%m")])
        amount = str(b.amount)
        if language == "fa" and rng.random() < 0.6:
            amount = amount.translate(PERSIAN_DIGITS)
        return {
            "ref": b.ref if rng.random() < 0.9 else b.ref.lower(),
            "date": date,
            "flight": b.flight,
            "trip": b.trip,
            "amount": amount,
            "phone": person.phone or "",
            "what": T.WHAT[language][problem.kind],
        }

    def typos(self, text: str, count: int) -> str:
        rng = self.rng
        chars = list(text)
        for _ in range(count):
            if len(chars) < 4:
                break
            i = rng.randrange(1, len(chars) - 1)
            if not chars[i].isalpha():
                continue
            op = rng.random()
            if op < 0.35:
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
            elif op < 0.7:
                del chars[i]
            else:
                chars.insert(i, chars[i])
        return "".join(chars)

    def ascii_name(self, name: str) -> str:
        plain = unicodedata.normalize("NFKD", name.replace("ı", "i"))
        return "".join(c for c in plain if not unicodedata.combining(c))

    # -- contacts ----------------------------------------------------------------------

    def identities(
        self, person: Person, channel: str, *, other_identity: bool
    ) -> list[tuple[str, str]]:
        rng = self.rng
        email = person.work_email if other_identity and person.work_email else person.email
        if channel in ("form", "api"):
            found = [("email", email)]
            if person.phone and rng.random() < 0.8:
                found.append(("phone", person.phone))
            return found
        if channel == "email":
            return [("email", email)]
        if channel == "chat":
            if not person.visitor or rng.random() < 0.2:  # another device, cookies cleared
                self.visitors += 1
                person.visitor = f"v-{self.visitors:06d}"
            found = [("chat", person.visitor)]
            if rng.random() < 0.7:
                found.append(("email", email))
            return found
        if channel in ("sms", "whatsapp", "phone"):
            return [("phone", person.phone)]
        return [("messaging", person.telegram)]

    def channel_for(self, person: Person, previous: str | None) -> str:
        rng = self.rng
        possible = [
            c
            for c in CHANNELS
            if (c not in ("sms", "whatsapp", "phone") or person.phone)
            and (c != "telegram" or person.telegram)
        ]
        if previous is None:
            weights = [FIRST_CHANNEL_WEIGHTS[CHANNELS.index(c)] for c in possible]
            return rng.choices(possible, weights)[0]
        if previous in possible and rng.random() < 0.45:
            return previous
        others = [c for c in possible if c != previous] or possible
        return rng.choice(others)

    def contact(
        self,
        problem: Problem,
        person: Person,
        *,
        at: datetime,
        channel: str,
        kind: str,
        noise: list[str],
        other_identity: bool = False,
    ) -> dict[str, Any]:
        rng = self.rng
        language = person.language
        values = self.values(problem, person)
        subject = ""
        booking_reference = ""
        request_type = ""
        if kind == "request":
            subject_t, body_t = T.REQUESTS[language][problem.kind][problem.template]
            subject, body = subject_t.format(**values), body_t.format(**values)
        elif kind == "restate":
            others = [
                i for i in range(len(T.REQUESTS[language][problem.kind])) if i != problem.template
            ]
            subject_t, body_t = T.REQUESTS[language][problem.kind][rng.choice(others)]
            subject, body = subject_t.format(**values), body_t.format(**values)
        elif kind == "chaser":
            body = rng.choice(T.CHASERS[language]).format(**values)
        elif kind == "add_info":
            body = rng.choice(T.ADD_INFO[language]).format(**values)
        elif kind == "thanks_but":
            body = rng.choice(T.THANKS_BUT[language]).format(**values)
        else:  # forward
            head = T.FORWARD_HEADER[language]
            body = "\n".join(
                [
                    rng.choice(T.FORWARD_NOTE[language]),
                    "",
                    head[0],
                    f"{head[1]}: {person.name} <{person.email}>",
                    f"{head[2]}: {problem.start:%d.%m.%Y %H:%M}",
                    f"{head[3]}: {problem.first_subject}",
                    f"{head[4]}: help@calmdesk.test",
                    "",
                    problem.first_body,
                ]
            )
            subject = f"Fwd: {problem.first_subject}"
        if kind in ("chaser", "add_info", "thanks_but") and rng.random() < 0.25:
            body += (
                " "
                + {"en": "Booking", "tr": "Rezervasyon", "fa": "رزرو", "lt": "Rezervacija"}[
                    language
                ]
                + f" {problem.booking.ref}."
            )
        if channel == "email" and kind != "forward":
            if not subject:
                subject = (
                    f"Re: {problem.first_subject}"
                    if rng.random() < 0.4 and problem.first_subject
                    else values["what"].capitalize()
                )
            if kind != "request" and problem.first_body and rng.random() < 0.25:
                quoted = "\n".join(f"> {line}" for line in problem.first_body.split("\n"))
                header = T.QUOTE_HEADER[language].format(
                    day=f"{problem.start:%d.%m.%Y}", name=person.name, email=person.email
                )
                body = f"{body}\n\n{header}\n{quoted}"
                noise.append("quoted")
        if channel in ("form", "api"):
            request_type = T.REQUEST_TYPE[problem.kind]
            if not subject:
                subject = values["what"].capitalize()
            if rng.random() < 0.75:
                booking_reference = problem.booking.ref
                if rng.random() < 0.05:
                    booking_reference = self.typo_ref(booking_reference)
                    noise.append("ref_typo")
        if channel in ("sms", "whatsapp", "telegram", "chat"):
            subject = ""
        if channel == "phone":
            subject = ""
            body = {
                "en": "Caller: ",
                "tr": "Arayan: ",
                "fa": "تماس‌گیرنده: ",
                "lt": "Skambino: ",
            }[language] + body
        if rng.random() < 0.25:
            body = self.typos(body, rng.randint(1, 3))
            noise.append("typo")
        name = person.name
        if channel == "sms":
            name = ""
        elif rng.random() < 0.2:
            name = self.ascii_name(name) if language != "fa" else person.first
            noise.append("name_variant")
        identities = self.identities(person, channel, other_identity=other_identity)
        if identities[0] not in person.used:
            noise.append("new_identity")
        person.used.update(identities)
        if kind == "request" and not problem.first_body:
            problem.first_subject, problem.first_body = subject, body
        return {
            "type": "contact",
            "at": at.isoformat(),
            "problem": problem.id,
            "person": person.pid,
            "language": language,
            "channel": channel,
            "identities": identities,
            "name": name,
            "subject": subject,
            "body": body,
            "request_type": request_type,
            "booking_reference": booking_reference,
            "kind": kind,
            "noise": sorted(set(noise)),
        }

    def typo_ref(self, ref: str) -> str:
        i = self.rng.randrange(len(ref))
        replacement = self.rng.choice([c for c in REF_ALPHABET if c != ref[i]])
        return ref[:i] + replacement + ref[i + 1 :]

    def problem(
        self,
        person: Person,
        *,
        kind: str,
        booking: Booking,
        start: datetime,
        first_noise: list[str],
        writer: Person | None = None,
        follow_ups: int | None = None,
    ) -> Problem:
        """A problem with its first contact and follow-ups (and maybe a solution)."""
        rng = self.rng
        self.problems += 1
        templates = len(T.REQUESTS[person.language][kind])
        if booking.ref not in self.filed and self.rng.random() < self.on_file:
            # The booking system's customer record (imported before the customer writes).
            self.filed.add(booking.ref)
            known = [("email", person.email)] + ([("phone", person.phone)] if person.phone else [])
            if person.pid in self.filed_people:
                self.filed_people[person.pid]["bookings"].append(booking.ref)
            else:
                self.filed_people[person.pid] = {
                    "type": "customer",
                    "at": (START - timedelta(days=1)).isoformat(),
                    "person": person.pid,
                    "name": person.name,
                    "language": person.language,
                    "identities": known,
                    "bookings": [booking.ref],
                }
                self.rows.append(self.filed_people[person.pid])
            person.used.update(known)
        problem = Problem(
            id=self.problems,
            person=person,
            kind=kind,
            booking=booking,
            start=start,
            template=rng.randrange(templates),
        )
        writer = writer or person
        channel = self.channel_for(writer, None)
        self.rows.append(
            self.contact(
                problem, writer, at=start, channel=channel, kind="request", noise=first_noise
            )
        )
        if follow_ups is None:
            follow_ups = rng.choices([0, 1, 2, 3, 4], [0.38, 0.3, 0.17, 0.1, 0.05])[0]
        if rng.random() < 0.35:
            problem.solved_at = start + timedelta(hours=rng.uniform(4, 60))
            self.rows.append(
                {"type": "solve", "at": problem.solved_at.isoformat(), "problem": problem.id}
            )
        at, previous = start, channel
        thanked = False
        for _ in range(follow_ups):
            at += timedelta(minutes=max(10.0, rng.expovariate(1 / (60 * 18))))
            if at > START + timedelta(days=DAYS + 3):
                break
            noise: list[str] = ["follow_up"]
            channel = self.channel_for(writer, previous)
            if channel != previous:
                noise.append("channel_switch")
            if problem.solved_at is not None and at > problem.solved_at:
                if thanked or at > problem.solved_at + timedelta(days=3):
                    break
                kind, thanked = "thanks_but", True
            else:
                kind = rng.choices(
                    ["chaser", "restate", "add_info", "forward"], [0.45, 0.25, 0.2, 0.1]
                )[0]
                if kind == "forward":
                    if problem.first_body and channel == "email":
                        noise.append("forwarded")
                    else:
                        kind = "chaser"
            noise.append(kind)
            other = bool(writer.work_email) and rng.random() < 0.15
            self.rows.append(
                self.contact(
                    problem,
                    writer,
                    at=at,
                    channel=channel,
                    kind=kind,
                    noise=noise,
                    other_identity=other,
                )
            )
            previous = channel
        return problem

    # -- scenarios ---------------------------------------------------------------------

    def start_time(self) -> datetime:
        return START + timedelta(seconds=self.rng.uniform(0, DAYS * 86400))

    def single(self) -> None:
        person = self.person()
        kind = self.rng.choice(T.KINDS)
        start = self.start_time()
        self.problem(
            person,
            kind=kind,
            booking=self.booking(person.language, at=start),
            start=start,
            first_noise=["single"],
        )

    def two_problems(self) -> None:
        """Refund, then a date change (say): two problems, two tickets."""
        rng = self.rng
        person = self.person()
        first_kind, second_kind = rng.sample(T.KINDS, 2)
        start = self.start_time()
        booking = self.booking(person.language, at=start)
        self.problem(person, kind=first_kind, booking=booking, start=start, first_noise=["single"])
        later = start + timedelta(hours=rng.uniform(2, 96))
        same_booking = rng.random() < 0.4
        self.problem(
            person,
            kind=second_kind,
            booking=booking if same_booking else self.booking(person.language, at=later),
            start=later,
            first_noise=["second_problem", "same_booking" if same_booking else "other_booking"],
        )

    def family(self) -> None:
        """Two people on one booking; the second writes about the same problem or another."""
        rng = self.rng
        first = self.person()
        second = self.person(first.language, last=first.last)
        kind = rng.choice(T.KINDS)
        start = self.start_time()
        booking = self.booking(first.language, at=start)
        problem = self.problem(
            first, kind=kind, booking=booking, start=start, first_noise=["single"]
        )
        later = start + timedelta(hours=rng.uniform(1, 72))
        if rng.random() < 0.6:
            # The same matter, from the other family member: one problem.
            self.rows.append(
                self.contact(
                    problem,
                    second,
                    at=later,
                    channel=self.channel_for(second, None),
                    kind=rng.choice(["request", "restate", "chaser"]),
                    noise=["family", "family_same_problem"],
                )
            )
        else:
            other = rng.choice([k for k in T.KINDS if k != kind])
            self.problem(
                second,
                kind=other,
                booking=booking,
                start=later,
                first_noise=["family", "family_other_problem"],
            )

    def crisis(self, count: int) -> None:
        """The Aurora fire: ``count`` customers write almost the same text within hours."""
        rng = self.rng
        for _ in range(count):
            person = self.person()
            start = CRISIS_AT + timedelta(minutes=rng.expovariate(1 / 150))
            self.problem(
                person,
                kind="crisis",
                booking=self.booking(person.language, at=start),
                start=start,
                first_noise=["crisis"],
                follow_ups=rng.choices([0, 1, 2], [0.6, 0.3, 0.1])[0],
            )

    def build(self, contacts: int) -> list[dict[str, Any]]:
        rng = self.rng
        self.crisis(max(50, contacts // 8))
        while sum(1 for r in self.rows if r["type"] == "contact") < contacts:
            roll = rng.random()
            if roll < 0.6:
                self.single()
            elif roll < 0.8:
                self.two_problems()
            else:
                self.family()
        order = {"customer": 0, "solve": 1, "contact": 2}
        rows = sorted(self.rows, key=lambda r: (r["at"], order[r["type"]]))
        for n, row in enumerate(r for r in rows if r["type"] == "contact"):
            row["id"] = n + 1
        return rows


def generate(*, seed: int, contacts: int, on_file: float = 0.5) -> list[dict[str, Any]]:
    return Generator(seed, on_file=on_file).build(contacts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--contacts", type=int, default=2400)
    ap.add_argument(
        "--on-file",
        type=float,
        default=0.5,
        help="share of bookings whose holder (email, phone) is imported before they write",
    )
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "corpus.jsonl"))
    a = ap.parse_args()
    rows = generate(seed=a.seed, contacts=a.contacts, on_file=a.on_file)
    with open(a.out, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    n = sum(1 for r in rows if r["type"] == "contact")
    problems = len({r["problem"] for r in rows if r["type"] == "contact"})
    print(f"{n} contacts, {problems} problems → {a.out}")


if __name__ == "__main__":
    main()

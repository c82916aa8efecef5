"""Build a lively demo desk through the real services.

The load is planned first — every intake and every later step (agent replies, notes, transfers,
customer follow-ups, closing) with its moment in the last ten days — and then played in time
order, so what intake sees (the queue ahead, the team's recent replies) is what it would have
seen at that moment. Everything goes through ``intake_submit`` and ``tickets.services``, so
triage, SLA due times, events and outgoing mail (queued in the outbox) are real.
"""

from __future__ import annotations

import heapq
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import jdatetime
import phonenumbers
from django.db import transaction
from django.utils import timezone

from calmdesk.accounts.models import Team
from calmdesk.tickets.enums import Channel, TicketStatus
from calmdesk.tickets.models import RequestType, Ticket

from . import texts
from .accounts import DEMO_AGENTS, install_demo_agents

HISTORY_DAYS = 10
CATEGORIES = ("refund", "cancellation", "change", "other")
CATEGORY_WEIGHTS = (0.35, 0.25, 0.28, 0.12)
CHANNELS = (Channel.FORM, Channel.EMAIL, Channel.PHONE, Channel.API)
CHANNEL_WEIGHTS = (0.74, 0.13, 0.08, 0.05)
# Days from today to departure: a fifth within the urgent week, some just beyond it (they turn
# urgent on their own when the periodic re-triage runs), most later.
DEPARTURE_BANDS = (((1, 7), 0.22), ((8, 10), 0.10), ((11, 60), 0.68))
_TR_ASCII = str.maketrans({"ı": "i", "İ": "i", "ş": "s", "Ş": "s", "ğ": "g", "Ğ": "g"})
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


@dataclass
class DemoCustomer:
    name: str
    email: str
    phone: str
    language: str


@dataclass(order=True)
class Step:
    at: datetime
    seq: int
    ticket: int = field(compare=False)
    action: str = field(compare=False)
    params: dict[str, Any] = field(compare=False, default_factory=dict)


@dataclass
class DemoSummary:
    tickets: int = 0
    customers: int = 0
    by_language: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    urgent_in_queue: int = 0
    actions: Counter[str] = field(default_factory=Counter)


def install_defaults() -> None:
    """The seed's configuration: form fields and request types (with their teams), triage
    rules, SLA policies and mail templates. Each installer is idempotent."""
    from calmdesk.inbox.defaults import install_default_form
    from calmdesk.replies.defaults import install_default_templates
    from calmdesk.routing.defaults import install_default_rules
    from calmdesk.sla.defaults import install_default_policies

    install_default_form()
    install_default_rules()
    install_default_policies()
    install_default_templates()


def load_demo(
    *,
    tickets: int,
    seed: int = 2024,
    now: datetime | None = None,
    progress: Callable[[Iterable[Step], int], Iterable[Step]] | None = None,
    crisis_passengers: int = 300,
    channels: bool = True,
) -> DemoSummary:
    """Install the defaults and the demo agents, then play ``tickets`` requests and their
    history, then the crisis demo (``crisis_passengers`` passengers; 0: none), then the
    channels (mailbox, chat widget, messaging accounts, phone system with calls; ``channels``).
    ``progress`` wraps the step iterator (a tqdm bar in the command)."""
    now = now or timezone.now()
    rng = random.Random(seed)  # noqa: S311 - demo texts, not secrets
    install_defaults()
    users = install_demo_agents()
    plan = _Planner(rng=rng, now=now)
    steps = plan.build(tickets)
    player = _Player(rng=rng, users=users, customers=plan.customers)
    ordered = [heapq.heappop(steps) for _ in range(len(steps))]
    with transaction.atomic():
        for step in progress(ordered, len(ordered)) if progress else ordered:
            player.play(step)
        # Date conditions whose answer changed while the history was played (a departure that
        # came within 7 days) are re-evaluated now, as the periodic job would.
        from calmdesk.tickets.services import ticket_retriage

        due = Ticket.objects.filter(triage_recheck_at__lte=now).values_list("pk", flat=True)
        for ticket_id in list(due):
            ticket_retriage(ticket_id=ticket_id, now=now)
    # Crisis mode: the ship fire under way since yesterday (incident, passengers, broadcast).
    if crisis_passengers:
        from .crisis import load_crisis_demo

        load_crisis_demo(
            rng=rng, now=now, lead=users["lead"], planner=plan, passengers=crisis_passengers
        )
    if channels:
        _channels_demo(now=now)
    # Urgent requests left unanswered past the alert time alert their lead now, as the periodic
    # job would on its first run, so the alert badges show from the first page view.
    from calmdesk.sla.services import sla_raise_due_alerts

    while sla_raise_due_alerts(now=now):
        pass
    return _summary(player, plan)


# ------------------------------------------------------------------------------------------
# Planning: who writes what, when
# ------------------------------------------------------------------------------------------


class _Planner:
    def __init__(self, *, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.customers: list[DemoCustomer] = []
        self._emails: set[str] = set()
        self._phones: set[str] = set()
        self._seq = 0
        # Booking references of an earlier load: a second load is more demo data, not the
        # same requests again (those would join the first load's tickets as follow-ups).
        self._references = {
            str(value).upper()
            for value in Ticket.objects.filter(
                custom_fields__has_key="booking_reference"
            ).values_list("custom_fields__booking_reference", flat=True)
        }

    def build(self, count: int) -> list[Step]:
        steps: list[Step] = []
        for index in range(count):
            for step in self._ticket_steps(index):
                heapq.heappush(steps, step)
        return steps

    def _step(self, at: datetime, ticket: int, action: str, **params: Any) -> Step:
        self._seq += 1
        return Step(at=at, seq=self._seq, ticket=ticket, action=action, params=params)

    def _reference(self) -> str:
        while True:
            reference = "".join(
                self.rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(6)
            )
            if reference not in self._references:
                self._references.add(reference)
                return reference

    def _customer(self) -> DemoCustomer:
        """Mostly a new customer; one in five writes again (their earlier tickets show)."""
        if self.customers and self.rng.random() < 0.2:
            return self.rng.choice(self.customers)
        language = self.rng.choices(texts.LANGUAGES, texts.LANGUAGE_WEIGHTS)[0]
        firsts, lasts = self.rng.choice(texts.NAMES[language])
        first, last = self.rng.choice(firsts), self.rng.choice(lasts)
        name = f"{first} {last}"
        local = f"{_latin(first, language)}.{_latin(last, language)}"
        email = f"{local}@example.com"
        while email in self._emails:
            email = f"{local}{self.rng.randint(2, 999)}@{self.rng.choice(_DOMAINS)}"
        self._emails.add(email)
        phone = self._phone(language) if self.rng.random() < 0.35 else ""
        customer = DemoCustomer(name=name, email=email, phone=phone, language=language)
        self.customers.append(customer)
        return customer

    def _phone(self, language: str) -> str:
        region = texts.PHONE_REGIONS[language]
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is None:
            return ""
        digits = str(example.national_number)
        for _attempt in range(20):
            tail = "".join(str(self.rng.randint(0, 9)) for _ in range(4))
            number = phonenumbers.parse(f"+{example.country_code}{digits[:-4]}{tail}")
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(number) and e164 not in self._phones:
                self._phones.add(e164)
                return e164
        return ""

    def _ticket_steps(self, index: int) -> list[Step]:
        rng = self.rng
        customer = self._customer()
        language = customer.language
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        subject_t, body_t = rng.choice(texts.REQUESTS[language][category])
        # Recent days are busier: a surge is under way.
        age = timedelta(seconds=HISTORY_DAYS * 86400 * rng.random() ** 1.6 + 120)
        created = self.now - age
        band = rng.choices([b for b, _w in DEPARTURE_BANDS], [w for _b, w in DEPARTURE_BANDS])[0]
        departure = self.now.date() + timedelta(days=rng.randint(*band))
        reference = self._reference()
        values = {
            "name": customer.name,
            "ref": reference,
            "trip": rng.choice(texts.TRIPS[language]),
            "date": _written_date(departure, language),
        }
        intake = self._step(
            created,
            index,
            "intake",
            customer=customer,
            category=category,
            subject=subject_t.format(**values),
            body=body_t.format(**values),
            channel=rng.choices(CHANNELS, CHANNEL_WEIGHTS)[0],
            custom_fields={
                "departure_date": departure.isoformat(),
                "booking_reference": reference,
            },
            values=values,
        )
        chain = [intake, *self._history(index, created)]
        # Only what has already happened: cut the chain at the first step in the future.
        kept: list[Step] = []
        for step in chain:
            if step.at >= self.now - timedelta(minutes=1):
                break
            kept.append(step)
        return kept

    def _history(self, index: int, created: datetime) -> list[Step]:
        rng = self.rng

        def later(start: datetime, low_minutes: int, high_minutes: int) -> datetime:
            return start + timedelta(minutes=rng.randint(low_minutes, high_minutes))

        steps: list[Step] = []
        if rng.random() < 0.10:
            steps.append(self._step(later(created, 10, 180), index, "transfer"))
        if rng.random() < 0.12:
            steps.append(self._step(later(created, 5, 300), index, "note"))
        # Still waiting for a first answer: most of today's requests, few of last week's — a
        # team that keeps up with its queue, so the demo's expected waits read in hours.
        age_days = (self.now - created).total_seconds() / 86400
        waiting = (
            0.8 if age_days < 0.5 else 0.45 if age_days < 1.5 else 0.15 if age_days < 3 else 0.1
        )
        if rng.random() < waiting:
            if rng.random() < 0.15:
                steps.append(self._step(later(created, 15, 240), index, "assign"))
            if rng.random() < 0.15:
                steps.append(
                    self._step(later(created, 360, 2880), index, "customer", kind="chaser")
                )
            return sorted(steps)
        at = later(created, 20, 1800)
        kind = rng.choices(("progress", "need_info", "done"), (0.40, 0.25, 0.35))[0]
        steps.append(self._step(at, index, "reply", kind=kind))
        if kind == "need_info" and rng.random() < 0.65:
            at = later(at, 60, 1200)
            steps.append(self._step(at, index, "customer", kind="details"))
            if rng.random() < 0.6:
                steps.append(self._step(later(at, 30, 600), index, "reply", kind="done"))
        elif kind == "progress" and rng.random() < 0.2:
            steps.append(self._step(later(at, 120, 1440), index, "customer", kind="question"))
        elif kind == "done":
            roll = rng.random()
            if roll < 0.25:
                steps.append(self._step(later(at, 1440, 4320), index, "close"))
            elif roll < 0.35:
                steps.append(self._step(later(at, 120, 1440), index, "customer", kind="question"))
        return sorted(steps)


_DOMAINS = ("example.com", "example.org", "example.net")


def _channels_demo(*, now: datetime) -> None:
    """Every channel ready to try: the catch-all mailbox for calmdesk.test, the chat widget,
    SMS/WhatsApp/Telegram accounts, and a phone system with a few calls and a callback."""
    from calmdesk.chat.demo import demo_chat
    from calmdesk.mail.demo import demo_mailbox
    from calmdesk.messaging.demo import demo_messaging
    from calmdesk.phone.demo import demo_phone

    demo_mailbox()
    demo_chat(now=now)
    demo_messaging()
    demo_phone(now=now, verbose=False)


def _latin(word: str, language: str) -> str:
    if language == "fa":
        return texts.PERSIAN_LATIN.get(word, "guest")
    plain = unicodedata.normalize("NFKD", word.translate(_TR_ASCII))
    return "".join(c for c in plain if c.isascii() and c.isalpha()).lower()


def _written_date(day: date, language: str) -> str:
    """A date as a customer of that language writes it (Persian: Solar Hijri, Persian digits)."""
    if language == "fa":
        jalali = jdatetime.date.fromgregorian(date=day)
        return jalali.strftime("%Y/%m/%d").translate(_PERSIAN_DIGITS)
    if language == "tr":
        return day.strftime("%d.%m.%Y")
    if language == "lt":
        return day.isoformat()
    return f"{day.day} {day.strftime('%B %Y')}"


# ------------------------------------------------------------------------------------------
# Playing the plan through the services
# ------------------------------------------------------------------------------------------


class _Player:
    def __init__(
        self, *, rng: random.Random, users: dict[str, Any], customers: list[DemoCustomer]
    ) -> None:
        self.rng = rng
        self.users = users
        self.lead = users["lead"]
        self.languages = {spec.username: set(spec.languages) for spec in DEMO_AGENTS}
        self.tickets: dict[int, Ticket] = {}
        self.values: dict[int, dict[str, str]] = {}
        self.customers = customers
        self.actions: Counter[str] = Counter()
        self.request_types = {rt.key: rt for rt in RequestType.objects.filter(active=True)}
        self.teams = list(Team.objects.order_by("pk"))
        self.team_agents: dict[int, list[Any]] = {
            team.pk: [u for name, u in users.items() if name != "lead" and team.pk in _team_ids(u)]
            for team in self.teams
        }

    def play(self, step: Step) -> None:
        getattr(self, f"_{step.action}")(step)
        self.actions[step.action] += 1

    def _request_type(self, category: str) -> RequestType | None:
        if category in self.request_types:
            return self.request_types[category]
        for key, request_type in self.request_types.items():
            if category[:5] in key:
                return request_type
        return None

    def _agent_for(self, ticket: Ticket) -> Any:
        """An agent of the ticket's team who speaks the customer's language, if there is one."""
        agents = self.team_agents.get(ticket.team_id or 0) or [self.lead]
        speakers = [u for u in agents if ticket.language in self.languages[u.username]]
        return self.rng.choice(speakers or agents)

    def _intake(self, step: Step) -> None:
        from calmdesk.inbox.services import intake_submit
        from calmdesk.inbox.validation import CleanSubmission

        p = step.params
        customer: DemoCustomer = p["customer"]
        submission = CleanSubmission(
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            request_type=self._request_type(p["category"]),
            subject=p["subject"],
            message=p["body"],
            custom_fields=p["custom_fields"],
            language=customer.language,
        )
        result = intake_submit(submission=submission, channel=p["channel"], now=step.at)
        self.tickets[step.ticket] = result.ticket
        self.values[step.ticket] = p["values"]

    def _reply(self, step: Step) -> None:
        from calmdesk.tickets.services import ticket_reply

        ticket = self._fresh(step)
        agent = self._agent_for(ticket)
        kind = step.params["kind"]
        body = texts.REPLIES[ticket.language][kind].format(
            **self.values[step.ticket], agent=agent.get_full_name()
        )
        status_after = {"need_info": TicketStatus.PENDING, "done": TicketStatus.SOLVED}.get(kind)
        if ticket.assignee_id is None:
            _call(
                _services().ticket_assign, now=step.at, ticket=ticket, assignee=agent, actor=agent
            )
        ticket_reply(
            ticket=ticket, actor=agent, body_text=body, status_after=status_after, now=step.at
        )

    def _customer(self, step: Step) -> None:
        from calmdesk.tickets.services import ticket_customer_reply

        ticket = self._fresh(step)
        body = texts.FOLLOW_UPS[ticket.language][step.params["kind"]]
        ticket_customer_reply(
            ticket=ticket,
            customer=ticket.customer,
            body_text=body,
            channel=Channel.EMAIL,
            now=step.at,
        )

    def _note(self, step: Step) -> None:
        ticket = self._fresh(step)
        _call(
            _services().ticket_add_note,
            now=step.at,
            ticket=ticket,
            actor=self._agent_for(ticket),
            body_text=self.rng.choice(texts.NOTES),
        )

    def _transfer(self, step: Step) -> None:
        ticket = self._fresh(step)
        others = [t for t in self.teams if t.pk != ticket.team_id]
        if not others:
            return
        _call(
            _services().ticket_transfer,
            now=step.at,
            ticket=ticket,
            team=self.rng.choice(others),
            reason=self.rng.choice(texts.TRANSFER_REASONS),
            actor=self._agent_for(ticket),
        )

    def _assign(self, step: Step) -> None:
        ticket = self._fresh(step)
        agent = self._agent_for(ticket)
        _call(
            _services().ticket_assign, now=step.at, ticket=ticket, assignee=agent, actor=self.lead
        )

    def _close(self, step: Step) -> None:
        ticket = self._fresh(step)
        if ticket.status == TicketStatus.SOLVED:
            _call(
                _services().ticket_change_status,
                now=step.at,
                ticket=ticket,
                status=TicketStatus.CLOSED,
                actor=self.lead,
            )

    def _fresh(self, step: Step) -> Ticket:
        ticket = Ticket.objects.select_related("customer").get(pk=self.tickets[step.ticket].pk)
        self.tickets[step.ticket] = ticket
        return ticket


def _services() -> Any:
    from calmdesk.tickets import services

    return services


def _call(service: Callable[..., Any], *, now: datetime, **kwargs: Any) -> Any:
    """Call a ticket service at the planned moment."""
    return service(now=now, **kwargs)


def _team_ids(user: Any) -> set[int]:
    return set(user.agent.teams.values_list("pk", flat=True))


def _summary(player: _Player, plan: _Planner) -> DemoSummary:
    summary = DemoSummary(actions=player.actions)
    ids = [t.pk for t in player.tickets.values()]
    rows = Ticket.objects.filter(pk__in=ids)
    summary.tickets = len(ids)
    summary.customers = len({t.customer_id for t in player.tickets.values()})
    summary.by_language = Counter(rows.values_list("language", flat=True))
    summary.by_status = Counter(rows.values_list("status", flat=True))
    summary.urgent_in_queue = rows.filter(
        priority="urgent", status__in=[TicketStatus.NEW, TicketStatus.OPEN]
    ).count()
    return summary

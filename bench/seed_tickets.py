"""Bulk loader of realistic tickets for the benchmarks (SQLite or PostgreSQL via DATABASE_URL).

  python bench/seed_tickets.py base          # teams, request types, form, rules, SLA, agents
  python bench/seed_tickets.py topup N       # add tickets until N exist (batches of 10,000)
  python bench/seed_tickets.py count
  python bench/seed_tickets.py analyze       # PostgreSQL: VACUUM ANALYZE; SQLite: ANALYZE

Point it at a bench database only, e.g.
  DATABASE_URL=sqlite:////tmp/cdbench/calmdesk.sqlite3 CALMDESK_VAR_DIR=/tmp/cdbench/var-sqlite
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/calmdesk_bench

Tickets are written with raw ``bulk_create`` (no services, no events from the service layer)
because the point is the shape and size of the data, fast: per ticket one inbound message and
a ``created`` event, and for every ticket an agent answered an outbound reply and an
``agent_reply`` event. The status mix is what a desk looks like after a while: most tickets
closed, about 7 % in the queue (new/open), a few pending or solved. Queue tickets are recent
(last 30 days), history spreads back in time with the size of the desk. Text comes in English,
Persian, Turkish and Lithuanian. The generator is seeded, so a given size is reproducible.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CALMDESK_TESTING", "0")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Model  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.html import escape  # noqa: E402
from tqdm import tqdm  # noqa: E402

from calmdesk.accounts.models import AgentProfile, Role, Team  # noqa: E402
from calmdesk.customers.models import Customer, Identity, IdentityKind  # noqa: E402
from calmdesk.tickets.enums import (  # noqa: E402
    PRIORITY_BASE_SCORE,
    ActorKind,
    Channel,
    EventType,
    MessageKind,
    Priority,
    TicketStatus,
)
from calmdesk.tickets.models import Message, RequestType, Tag, Ticket, TicketEvent  # noqa: E402

User = get_user_model()
BATCH = 10_000
AGENT_USER = "bench-agent"
AGENT_PASSWORD = "bench-agent-pass-2718"  # bench database only

FALLBACK_TYPES = [  # used only when calmdesk.inbox.defaults is not there yet
    (
        "refund",
        "Refunds",
        {"en": "Refund", "fa": "استرداد وجه", "tr": "İade", "lt": "Pinigų grąžinimas"},
    ),
    (
        "cancellation",
        "Cancellations",
        {"en": "Cancellation", "fa": "لغو سفر", "tr": "İptal", "lt": "Atšaukimas"},
    ),
    (
        "change",
        "Trip changes",
        {
            "en": "Change of a future trip",
            "fa": "تغییر سفر",
            "tr": "Seyahat değişikliği",
            "lt": "Kelionės pakeitimas",
        },
    ),
    ("other", "General", {"en": "Other", "fa": "سایر", "tr": "Diğer", "lt": "Kita"}),
]

NAMES = {
    "en": (
        ["Emma", "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah"],
        ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies"],
    ),
    "fa": (
        ["مریم", "علی", "زهرا", "رضا", "فاطمه", "حسین", "سارا", "مهدی", "نگار", "امیر"],
        ["احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "نوری"],
    ),
    "tr": (
        ["Ayşe", "Mehmet", "Zeynep", "Mustafa", "Elif", "Ahmet", "Fatma", "Emre", "Selin"],
        ["Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Aydın", "Öztürk"],
    ),
    "lt": (
        ["Rūta", "Jonas", "Eglė", "Tomas", "Gintarė", "Mantas", "Ieva", "Lukas", "Agnė"],
        ["Kazlauskas", "Jankauskas", "Petrauskas", "Stankevičius", "Vasiliauskas", "Žukauskas"],
    ),
}
SUBJECTS = {
    "en": [
        "Refund for my cancelled flight",
        "Please cancel my booking",
        "Change the date of my trip",
        "Where is my refund?",
        "My flight was cancelled",
        "Need to travel earlier",
        "Voucher instead of refund?",
        "Wrong name on ticket",
    ],
    "fa": [
        "بازپرداخت هزینهٔ پرواز لغو شده",
        "لطفاً رزرو من را لغو کنید",
        "تغییر تاریخ سفر",
        "بازپرداخت من کجاست؟",
        "پرواز من لغو شد",
        "نیاز به سفر زودتر دارم",
    ],
    "tr": [
        "İptal edilen uçuşum için iade",
        "Lütfen rezervasyonumu iptal edin",
        "Seyahat tarihimi değiştirmek istiyorum",
        "İadem nerede?",
        "Uçuşum iptal edildi",
    ],
    "lt": [
        "Pinigų grąžinimas už atšauktą skrydį",
        "Prašau atšaukti mano užsakymą",
        "Pakeisti kelionės datą",
        "Kur mano pinigai?",
        "Mano skrydis atšauktas",
    ],
}
BODIES = {
    "en": "Hello, my flight {ref} was cancelled and I have not heard from you for days. "
    "I travel with two children and need to know what happens to our booking. "
    "Could you tell me whether I get my money back or can rebook? Thank you.",
    "fa": "سلام، پرواز {ref} من لغو شده و چند روز است خبری از شما ندارم. با دو فرزندم سفر "
    "می‌کنم و باید بدانم رزرو ما چه می‌شود. آیا پولم برگردانده می‌شود یا می‌توانم دوباره "
    "رزرو کنم؟ ممنون.",
    "tr": "Merhaba, {ref} numaralı uçuşum iptal edildi ve günlerdir sizden haber alamadım. "
    "İki çocuğumla seyahat ediyorum, rezervasyonumuza ne olacağını bilmem gerekiyor. "
    "Paramı geri alabilir miyim yoksa yeniden rezervasyon yapabilir miyim? Teşekkürler.",
    "lt": "Sveiki, mano skrydis {ref} buvo atšauktas, o iš jūsų jau kelias dienas nieko "
    "negirdžiu. Keliauju su dviem vaikais ir turiu žinoti, kas bus su mūsų užsakymu. "
    "Ar atgausiu pinigus, ar galiu perregistruoti? Ačiū.",
}
REPLY = (
    "Thank you for your patience. We have processed your request; the refund reaches "
    "your account within 5 business days. Reply to this message if anything is unclear."
)
TAGS = ["vip", "callback", "refund-voucher", "group-booking", "complaint", "press"]
LANGS = ["en"] * 40 + ["fa"] * 20 + ["tr"] * 20 + ["lt"] * 20
# About 7 % in the queue (new + open), most closed: what a desk looks like after a while.
STATUSES = (
    [TicketStatus.NEW] * 30
    + [TicketStatus.OPEN] * 40
    + [TicketStatus.PENDING] * 30
    + [TicketStatus.SOLVED] * 80
    + [TicketStatus.CLOSED] * 820
)
PRIORITIES = (
    [Priority.LOW] * 15 + [Priority.NORMAL] * 60 + [Priority.HIGH] * 15 + [Priority.URGENT] * 10
)
FIRST_REPLY_TARGET = {Priority.LOW: 72, Priority.NORMAL: 24, Priority.HIGH: 8, Priority.URGENT: 4}


def _try_install(module: str, func: str) -> str:
    try:
        mod = __import__(module, fromlist=[func])
        getattr(mod, func)()
        return "ok"
    except (ImportError, AttributeError):
        return "missing"
    except NotImplementedError:
        return "not implemented yet"


def base() -> None:
    """Configuration a real desk has: the seed's form, rules, SLA policies, templates, agents."""
    report = {
        f"{m}.{f}": _try_install(m, f)
        for m, f in (
            ("calmdesk.inbox.defaults", "install_default_form"),
            ("calmdesk.routing.defaults", "install_default_rules"),
            ("calmdesk.sla.defaults", "install_default_policies"),
            ("calmdesk.replies.defaults", "install_default_templates"),
        )
    }
    with transaction.atomic():
        if not RequestType.objects.exists():
            for order, (key, team_name, names) in enumerate(FALLBACK_TYPES):
                team, _ = Team.objects.get_or_create(slug=key, defaults={"name": team_name})
                RequestType.objects.create(key=key, names=names, team=team, order=order)
        teams = list(Team.objects.order_by("pk"))
        for i in range(1, 13):
            user, created = User.objects.get_or_create(
                username=f"bench-staff{i}",
                defaults={"first_name": f"Staff{i}", "email": f"staff{i}@calmdesk.test"},
            )
            if created:
                user.set_unusable_password()
                user.save()
                profile = AgentProfile.objects.create(user=user, role=Role.AGENT, languages=["en"])
                profile.teams.set([teams[i % len(teams)]])
        if not User.objects.filter(username=AGENT_USER).exists():
            user = User.objects.create_user(
                AGENT_USER, f"{AGENT_USER}@calmdesk.test", AGENT_PASSWORD, first_name="Bench"
            )
            profile = AgentProfile.objects.create(
                user=user, role=Role.AGENT, languages=["en", "tr"], display_name="Bench Agent"
            )
            profile.teams.set(teams[:2])  # an agent works the queue of two teams
        for name in TAGS:
            Tag.objects.get_or_create(name=name)
    print("base:", ", ".join(f"{k}={v}" for k, v in report.items()))
    print(
        f"base: {Team.objects.count()} teams, {RequestType.objects.count()} request types, "
        f"{AgentProfile.objects.count()} agents"
    )


@contextlib.contextmanager
def explicit_timestamps(*models: type[Model]) -> Iterator[None]:
    """Let bulk_create keep the timestamps we set (auto_now/auto_now_add would overwrite)."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            for attr in ("auto_now", "auto_now_add"):
                if getattr(f, attr, False):
                    saved.append((f, attr))
                    setattr(f, attr, False)
    try:
        yield
    finally:
        for f, attr in saved:
            setattr(f, attr, True)


def _batch(rnd: random.Random, start: int, n: int, target: int, now: datetime, ctx: dict) -> None:
    span_minutes = max(30 * 24 * 60, target * 1.5)  # 1M tickets → about 3 years of history
    customers: list[Customer] = []
    identities: list[Identity] = []
    first_customer = ctx["customers"]
    for _ in range(max(1, n // 3)):  # about three tickets per customer
        lang = rnd.choice(LANGS)
        first, last = NAMES[lang]
        customers.append(Customer(name=f"{rnd.choice(first)} {rnd.choice(last)}", language=lang))
    Customer.objects.bulk_create(customers)
    for i, c in enumerate(customers):
        identities.append(
            Identity(
                customer=c, kind=IdentityKind.EMAIL, value=f"bench{first_customer + i}@example.com"
            )
        )
    Identity.objects.bulk_create(identities)
    ctx["customers"] += len(customers)

    tickets: list[Ticket] = []
    for _k in range(n):
        customer = rnd.choice(customers)
        lang = customer.language
        rtype = rnd.choice(ctx["types"])
        status = rnd.choice(STATUSES)
        priority = rnd.choice(PRIORITIES)
        in_queue = status in (TicketStatus.NEW, TicketStatus.OPEN)
        age = (
            rnd.uniform(0, 30 * 24 * 60)
            if in_queue or status == TicketStatus.PENDING
            else (rnd.uniform(0, span_minutes))
        )
        created = now - timedelta(minutes=age)
        departure = (created + timedelta(days=rnd.randint(1, 60))).date()
        boost = 1000 if in_queue and (departure - now.date()).days in range(8) else 0
        replied = status != TicketStatus.NEW
        first_replied = created + timedelta(minutes=rnd.uniform(5, 60 * 24)) if replied else None
        solved = status in (TicketStatus.SOLVED, TicketStatus.CLOSED)
        assignee = rnd.choice(ctx["agents"]) if (replied and rnd.random() < 0.85) else None
        ref = f"TK{rnd.randrange(10**6):06d}"
        tickets.append(
            Ticket(
                subject=rnd.choice(SUBJECTS[lang]),
                customer=customer,
                request_type=rtype,
                team_id=rtype.team_id,
                assignee=assignee,
                status=status,
                priority=priority,
                queue_score=PRIORITY_BASE_SCORE[priority] + boost,
                queue_boost=boost,
                custom_fields={"departure_date": departure.isoformat(), "booking_reference": ref},
                channel=Channel.FORM if rnd.random() < 0.8 else Channel.API,
                language=lang,
                created_at=created,
                updated_at=first_replied or created,
                first_reply_due_at=created + timedelta(hours=FIRST_REPLY_TARGET[priority]),
                resolution_due_at=created + timedelta(hours=FIRST_REPLY_TARGET[priority] * 5),
                first_replied_at=first_replied,
                last_customer_message_at=created,
                last_agent_message_at=first_replied,
                solved_at=(first_replied + timedelta(hours=rnd.uniform(1, 72)))
                if solved and first_replied
                else None,
                announced_wait_minutes=rnd.choice([60, 120, 240, 360, 720, 1440]),
            )
        )
    Ticket.objects.bulk_create(tickets)
    messages: list[Message] = []
    events: list[TicketEvent] = []
    for t in tickets:
        body = BODIES[t.language].format(ref=t.custom_fields["booking_reference"])
        messages.append(
            Message(
                ticket=t,
                kind=MessageKind.INBOUND,
                channel=t.channel,
                author_customer=t.customer,
                body_text=body,
                body_html=f"<p>{escape(body)}</p>",
                created_at=t.created_at,
            )
        )
        events.append(
            TicketEvent(
                ticket=t,
                type=EventType.CREATED,
                actor_kind=ActorKind.CUSTOMER,
                at=t.created_at,
                data={"channel": t.channel, "priority": t.priority, "team": t.team_id},
            )
        )
        if t.first_replied_at:
            messages.append(
                Message(
                    ticket=t,
                    kind=MessageKind.OUTBOUND,
                    channel=t.channel,
                    author_user=t.assignee,
                    body_text=REPLY,
                    body_html=f"<p>{REPLY}</p>",
                    created_at=t.first_replied_at,
                )
            )
            events.append(
                TicketEvent(
                    ticket=t,
                    type=EventType.AGENT_REPLY,
                    actor_kind=ActorKind.AGENT,
                    actor_user=t.assignee,
                    at=t.first_replied_at,
                    data={},
                )
            )
    Message.objects.bulk_create(messages)
    TicketEvent.objects.bulk_create(events)
    through = Ticket.tags.through
    Ticket.tags.through.objects.bulk_create(
        [
            through(ticket_id=t.pk, tag_id=rnd.choice(ctx["tags"]))
            for t in tickets
            if rnd.random() < 0.08
        ]
    )


def topup(target: int) -> None:
    have = Ticket.objects.count()
    need = target - have
    if need <= 0:
        print(f"have {have} tickets, target {target}: nothing to do")
        return
    rnd = random.Random(f"calmdesk-bench-{have}-{target}")
    now = timezone.now()
    ctx = {
        "types": list(RequestType.objects.filter(active=True)),
        "agents": list(User.objects.filter(agent__isnull=False)),
        "tags": list(Tag.objects.values_list("pk", flat=True)),
        "customers": Customer.objects.count(),
    }
    if not ctx["types"] or not ctx["agents"]:
        raise SystemExit("run `seed_tickets.py base` first")
    with (
        explicit_timestamps(Ticket, Message),
        tqdm(total=need, unit="ticket", smoothing=0.1) as bar,
    ):
        done = 0
        while done < need:
            n = min(BATCH, need - done)
            with transaction.atomic():
                _batch(rnd, have + done, n, target, now, ctx)
            done += n
            bar.update(n)
    print(f"tickets now {Ticket.objects.count()}")


def analyze() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    print(f"analyzed ({connection.vendor})")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "base":
        base()
    elif cmd == "topup":
        topup(int(sys.argv[2]))
    elif cmd == "count":
        print(Ticket.objects.count())
    elif cmd == "analyze":
        analyze()
    else:
        print(__doc__)
        raise SystemExit(2)

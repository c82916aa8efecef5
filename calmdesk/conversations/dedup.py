"""One conversation per problem: is a new contact the same matter as a ticket already open?

``dedup_decide`` compares a new contact with its candidates — the customer's active tickets
(new, open, pending, and solved within ``SOLVED_WINDOW``: "thanks, but…" after a solution is
the same matter) and other customers' active tickets on the same booking reference (a family
sharing a booking, the same person writing from an address we do not know yet) — and answers:

- ``follow_up``: certain — the contact is added to that ticket (an automatic merge). Only for
  the customer's own ticket, and only when the customer was recognised by the identity the
  contact came by (an address typed into a form or a chat is a secondary identity);
- ``suggest``: maybe — a new ticket opens and the agent sees merge suggestions with evidence;
- ``new``: a different problem.

Each candidate gets a score: the sum of the weights of its evidence. Evidence is stored on the
contact and on merge suggestions as ``{"score": 4.2, "reasons": [{"kind", "value", "weight"}]}``
so the agent sees why. The kinds (``docs/dedup.md``):

================== ========================================== ===========================
kind               value                                      meaning
================== ========================================== ===========================
same_customer      —                                          the candidate is the customer's
recognised_by      identity kind ("email", "phone", …)        matched by the contact's own
                                                              identity (automatic allowed)
other_customer     the candidate customer's name              another customer's ticket
shares_identity    identity kind ("phone", "email") or None   the other customer owns an
                                                              identity one of them typed
similar_name       0.0–1.0                                    names alike (another identity?)
same_family_name   the candidate customer's name              one family name (a family?)
common_name        how many customers share it                a namesake says less
holds_booking      the references named                       holds a booking named (import)
booking_reference  the reference                              the same booking
similar_reference  "XK7P2Q ≈ XK7P2O"                          one character apart (a typo)
request_type       the request type's key                     the same request type
other_request_type "refund → date-change"                     a different request type
similar_text       0.0–1.0                                    text similarity (rapidfuzz)
same_topic         ["refund"]                                 the same matter by its words
other_topic        "refund → baggage"                         another matter by its words
shared_details     ["12.05", "TK1934"]                        dates, flight numbers, refs
chaser             —                                          "any news?": a status chase
only_open_request  —                                          the customer's one open request
recent_activity    hours since the candidate's last activity  fresh (positive) or stale
recently_solved    hours since it was solved                  a "thanks, but…" after solving
same_incident      the incident's slug                        both about the same incident
channel_switch     "form → email"                             another channel, as customers do
ambiguous          the other candidate's reference            two candidates nearly as likely
================== ========================================== ===========================

Reads: at most three indexed, bounded queries — the customer's recent tickets and those of
customers sharing an identity with it (``ticket_customer_idx``); when the contact names a
booking reference, active tickets on that reference (``ticket_booking_ref_idx``); and, when
no follow-up is certain and the contact gives a full name, other customers' active tickets
under the same name or family name (``name_candidates``); the candidates' first messages come
in the same queries. Candidates found by name alone are suggested only under the stricter
rules of ``_suggestible``, one at most. Precision of automatic follow-ups and recall of
duplicates are measured on the labelled corpus in ``bench/dedup/`` (``docs/dedup.md``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Literal

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Upper
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from calmdesk.core.lookups import JsonKeyText
from calmdesk.customers.models import Booking, Customer, name_keys
from calmdesk.incidents.linking import fold
from calmdesk.tickets.enums import ACTIVE_STATUSES, MessageKind, TicketStatus
from calmdesk.tickets.models import Message, RequestType, Ticket

Action = Literal["new", "follow_up", "suggest", "thread"]

BOOKING_REFERENCE_FIELD = "booking_reference"
# A solved ticket is still the same matter for this long ("thanks, but it did not arrive").
SOLVED_WINDOW = timedelta(days=4)
# Candidates read per query (newest first): a customer rarely has more open matters.
MAX_CANDIDATES = 12
MAX_TEXT_REFERENCES = 3
# Suggestions shown per new ticket.
MAX_SUGGESTIONS = 3
# Other customers' tickets found by a similar name: active, opened within this window, at most
# this many read (``customer_name_key_idx``, ``customer_family_key_idx``).
NAME_WINDOW = timedelta(days=14)
MAX_NAME_CANDIDATES = 20

# Decision thresholds on the summed weights, tuned on the dev seed of ``bench/dedup``.
FOLLOW_UP_SCORE = 3.0
FOLLOW_UP_MARGIN = 1.5  # over the next candidate of the same customer
SUGGEST_SCORE = 1.5
# Another customer's ticket found by a name no one else with an active ticket has, with the
# same matter's words or a shared flight number or reference, from this score.
NAME_SUGGEST_SCORE = 0.5
MATTER_SIMILARITY = 0.6  # text this similar is the same matter whatever its topic words

# Weights of the evidence (log-odds-like: positive = same matter).
W_SAME_CUSTOMER = 1.0
W_OTHER_CUSTOMER = -1.5
W_SIMILAR_NAME = 1.5
W_BOOKING = 3.0
W_SIMILAR_REFERENCE = 1.0
W_REQUEST_TYPE = 0.8
W_OTHER_REQUEST_TYPE = -2.5
W_DETAIL = 0.6
W_DETAILS_MAX = 2
W_CHASER = 1.5
W_SAME_TOPIC = 1.0
W_OTHER_TOPIC = -2.0
W_ONLY_OPEN = 0.7
W_FRESH = 0.5
W_STALE_WEEK = -1.0
W_STALE_TWO_WEEKS = -2.0
W_SOLVED = -0.5
W_INCIDENT = 0.5
W_CHANNEL_SWITCH = 0.2
W_AMBIGUOUS = 0.0
# Another customer's ticket that shares an identity the contact typed (a form's phone, a
# chat's email): probably the same person, but typing an address proves nothing.
W_SHARES_IDENTITY = 1.0
W_FAMILY_NAME = 0.8
# A name several customers with active tickets share says less (per customer beyond two).
W_COMMON_NAME = -0.5
SAME_NAME = 0.95  # name similarity taken as the same name (a typo at most)
# The topic of an incident: in a crisis everyone writes about it (and its refunds).
CRISIS_TOPICS = frozenset({"incident"})


@dataclass
class Candidate:
    ticket: Ticket
    score: float
    reasons: list[dict[str, Any]] = field(default_factory=list)
    # Something says it is the same matter (similar text, the same topic, a chaser), and
    # nothing says it is another (another topic or request type): needed for automatic.
    matter: bool = False
    contrary: bool = False
    # The contact names this candidate's booking (or one character from it), or shares an
    # identity with its customer: more than text and a name link them.
    linked: bool = False
    similarity: float = 0.0
    shared_details: int = 0
    strong_details: int = 0  # of which flight numbers and references (letters and digits)
    # The same name as the contact's, which no other customer with an active ticket has.
    unique_name: bool = False
    # The same matter by its words (a topic other than the incident everyone writes about in
    # a crisis) or a chaser.
    same_words: bool = False
    crisis: bool = False  # either text is about an incident

    @property
    def evidence(self) -> dict[str, Any]:
        return {"score": round(self.score, 2), "reasons": self.reasons}

    @property
    def same_customer(self) -> bool:
        return any(r["kind"] == "same_customer" for r in self.reasons)

    def add(self, kind: str, weight: float, value: Any = None) -> None:
        self.score += weight
        self.reasons.append({"kind": kind, "value": value, "weight": round(weight, 2)})


@dataclass
class DedupDecision:
    action: Action
    ticket: Ticket | None = None  # the ticket the contact joins (follow_up, thread)
    score: float = 0.0
    evidence: dict[str, Any] = field(default_factory=dict)
    suggestions: list[Candidate] = field(default_factory=list)  # for "suggest"


@dataclass
class ContactFeatures:
    """What a new contact tells us for matching."""

    customer: Customer | None
    text: str
    request_type: RequestType | None = None
    booking_reference: str = ""  # upper-cased
    name: str = ""
    channel: str = ""
    # The customer was recognised by the identity the contact came by (not by a secondary one
    # it typed, such as a form's phone): only then may a follow-up be automatic.
    by_primary_identity: bool = True
    identity_kind: str = ""  # the kind of the identity the customer was recognised by
    incident_slug: str = ""  # the crisis page the contact came from, if any
    # The customer owning an identity the contact typed but did not come by (a chat's email,
    # a form's phone), when the identity it came by is new: another customer, whose tickets
    # are suggested with that evidence, never joined (``conversations.services``).
    shared_customer: Customer | None = None
    shared_kind: str = ""


# ------------------------------------------------------------------------------------------
# Text
# ------------------------------------------------------------------------------------------

# A reply's quoted part starts with one of these lines (mail clients in our four languages).
_REPLY_HEADER = re.compile(
    r"^\s*(?:"
    r"on\b.{0,200}\bwrote:"
    r"|.{0,200}\b(?:yazdı|rašė|parašė|نوشت|نوشته است)\s*:?"
    r"|-{2,}\s*(?:original message|orijinal mesaj|originalus laiškas|پیام اصلی)\s*-{2,}"
    r")\s*$",
    re.IGNORECASE,
)
# Header lines of a forwarded message (the forwarded text itself is kept: it is the matter).
_FORWARD_LINE = re.compile(
    r"^\s*(?:-{2,}.*(?:forward|ilet|persiųst|ارسال).*-{2,}|begin forwarded message:"
    r"|(?:from|to|cc|date|sent|subject|kimden|kime|tarih|konu|nuo|kam|data|tema"
    r"|از|به|تاریخ|موضوع)\s*:.*)\s*$",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^--\s*$")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_WORD = re.compile(r"\w+")
# Booking references and flight numbers: 5–8 letters and digits with at least one of each.
_REFERENCE = re.compile(r"(?<![\w-])(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{5,8}(?![\w-])")
_DATE = re.compile(r"(?<!\d)(\d{1,4})[./-](\d{1,2})(?:[./-](\d{2,4}))?(?!\d)")
_NUMBER = re.compile(r"(?<![\w.])\d{3,}(?![\w.])")
_YEAR = re.compile(r"^(?:19|20)\d\d$")

# Words that carry no matter, per language (kept short: rapidfuzz does the rest).
_STOPWORDS = """
    a an the and or but to of in on at for with from by is are was were be been it this that
    my me i we our you your please hello hi dear thanks thank regards best team customer
    service can could would will do did have has not no yes so as if about also just still
    ve ile bir bu şu da de için ama ben benim biz siz size lütfen merhaba teşekkürler iyi
    günler saygılarımla mi mı mu mü ne var yok çok daha en gibi olarak olan
    ir su į iš ar bet aš mano mes jūs jums prašau laba diena ačiū pagarbiai tai kad kaip
    yra buvo bus nuo per už apie dar jau
    و در به از که این آن با برای را من ما شما لطفا سلام ممکن است بود هست هم تا یا اما
    ممنون باتشکر با تشکر
"""
STOPWORDS = frozenset(_STOPWORDS.split())

# "Any news?", "no answer yet", "second time I write": a customer chasing a request already made.
# Explicit chasing phrases only ("still" alone is in many first requests: "still not refunded").
_CHASER = re.compile(
    r"any news|any update|news about|no (?:answer|reply|response)|still waiting|still no (?:answer"
    r"|reply|news)|heard (?:nothing|back)|not heard|nobody (?:has )?(?:answer|repl|respond)"
    r"|no one (?:has )?(?:answer|repl)|(?:second|third|fourth) time|following up|follow(?:ing)?-up"
    r"|wrote (?:to you )?(?:before|already|twice|\w+ days ago)|what is happening with"
    r"|haber var mı|haber yok|haber alamadım|cevap yok|cevap alamadım"
    r"|yanıt (?:yok|gelmedi|alamadım)"
    r"|kimse (?:dönmedi|cevap|yanıt)|ne oldu|tekrar yazıyorum|(?:ikinci|üçüncü) kez|bekliyorum"
    r"|önceki mesaj|takip ediyorum"
    r"|naujien|negavau atsakymo|niekas neatsak|antrą kartą|trečią kartą|vėl rašau|primenu|laukiu"
    r"|kas vyksta"
    r"|خبری نشد|خبری نیست|پاسخی (?:نگرفتم|نیامد)|جوابی (?:نیامده|نگرفتم)|کسی (?:جواب|پاسخ)"
    r"|بار (?:دوم|سوم)|پیگیری|منتظر|چه شد|چی شد",
)

# What the matter is about, by its words (a request type for channels without a form), for
# telling one customer's two matters apart. Matched on folded text, any of our languages.
TOPICS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "refund": r"refund|money back|reimburs|repay|iade|geri öde|paramı|paramız|ücret.{0,20}geri"
        r"|استرداد|بازپرداخت|پولم|پولمان|پول را پس|grąžin|pinigų grąž|atgauti pinig",
        "date_change": r"change (?:the |my |of )?(?:travel )?date|date change|date of|rebook"
        r"|move my booking|later departure|tarih(?:imi|ini|i)? değiş|tarih değişikliği|yeniden "
        r"rezervasyon|ertele|sonraki bir sefer|تغییر تاریخ|تاریخ .{0,20}عوض|عقب بیندازم|رزرو مجدد"
        r"|حرکت بعدی|datos keit|datą|perkelti|perrezerv|vėlesn",
        "cancellation": r"cancel|iptal|لغو|atšauk",
        "baggage": r"luggage|baggage|suitcase|\bbags?\b|bagaj|valiz|çanta|چمدان|بار من|bagaž"
        r"|lagamin|krepš",
        "invoice": r"invoice|receipt|\bvat\b|fatura|makbuz|kdv|فاکتور|رسید|sąskait|kvit|pvm",
        "assistance": r"wheelchair|assistance|\bdogs?\b|\bpets?\b|allerg|meal|tekerlekli|köpe"
        r"|evcil|alerji|yemek|yardım talebi|ویلچر|سگ|حیوان|حساسیت|غذا|درخواست کمک|vežimėl|šun"
        r"|gyvūn|alergij|maist|pagalb",
        "incident": r"aurora|fire|yangın|آتش|آرورا|gaisr",
    }.items()
}


@dataclass(frozen=True)
class Text:
    """A text prepared for comparison: content words, strong details, references."""

    words: str  # content words, folded, in order
    details: frozenset[str]  # dates, flight numbers, references, amounts
    references: tuple[str, ...]  # reference-like tokens, upper-cased, in order
    chaser: bool
    topics: frozenset[str] = frozenset()


def strip_quoted(text: str) -> str:
    """The customer's own words: without the quoted reply below them, the signature, and the
    header lines of a forward (the forwarded text stays: it is the matter)."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _SIGNATURE.match(line) or _REPLY_HEADER.match(line):
            break
        stripped = line.lstrip()
        if stripped.startswith(">") or _FORWARD_LINE.match(line):
            continue
        lines.append(line)
    return "\n".join(lines)


def _date_key(match: re.Match[str]) -> str | None:
    first, second, third = match.group(1), match.group(2), match.group(3)
    if len(first) == 4:  # 2026-05-12
        day, month = (third or ""), second
    else:
        day, month = first, second
    try:
        d, m = int(day), int(month)
    except ValueError:
        return None
    if not (1 <= d <= 31 and 1 <= m <= 12):
        return None
    return f"{d:02d}.{m:02d}"


@lru_cache(maxsize=4096)
def prepare(text: str) -> Text:
    plain = unicodedata.normalize("NFKC", strip_quoted(text)).translate(_DIGITS)
    folded = fold(plain)
    references = tuple(dict.fromkeys(m.upper() for m in _REFERENCE.findall(folded)))
    details: set[str] = set(references)
    for match in _DATE.finditer(folded):
        key = _date_key(match)
        if key:
            details.add(key)
    details.update(n for n in _NUMBER.findall(folded) if not _YEAR.match(n))
    words = [w for w in _WORD.findall(folded) if w not in STOPWORDS and not w.isdigit()]
    return Text(
        words=" ".join(words),
        details=frozenset(details),
        references=references,
        chaser=_CHASER.search(folded) is not None,
        topics=frozenset(name for name, pattern in TOPICS.items() if pattern.search(folded)),
    )


def text_similarity(a: Text, b: Text) -> float:
    if not a.words or not b.words:
        return 0.0
    return float(fuzz.token_set_ratio(a.words, b.words)) / 100


def name_similarity(a: str, b: str) -> float:
    """0–1: the names' folded words, sorted (case, accents, word order and keyboard variants
    do not count)."""
    a, b = name_keys(a)[0], name_keys(b)[0]
    if not a or not b:
        return 0.0
    return float(fuzz.ratio(a, b)) / 100


def references_in(text: str) -> tuple[str, ...]:
    """Reference-like tokens a contact's text mentions (at most ``MAX_TEXT_REFERENCES``)."""
    return prepare(text).references[:MAX_TEXT_REFERENCES]


_FLIGHT_NUMBER = re.compile(r"^[A-Z]{2}\d{1,4}$")


def booking_reference_in(text: str) -> str:
    """The booking reference a message names, when it names exactly one: six letters and
    digits with at least one of each (the record locator format), not a flight number. ""
    otherwise. Channels without a booking reference field (email, SMS, chat, …) store it on
    the new ticket, so that the same booking written about later — by the family, from
    another address — is found (``ticket_booking_ref_idx``)."""
    found = {r for r in prepare(text).references if len(r) == 6 and not _FLIGHT_NUMBER.match(r)}
    return found.pop() if len(found) == 1 else ""


# ------------------------------------------------------------------------------------------
# Candidates
# ------------------------------------------------------------------------------------------


def booking_reference_of(ticket: Ticket) -> str:
    value = (ticket.custom_fields or {}).get(BOOKING_REFERENCE_FIELD)
    return value.strip().upper() if isinstance(value, str) else ""


def _with_first_message(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    first = (
        Message.objects.filter(ticket_id=OuterRef("pk"), kind=MessageKind.INBOUND)
        .order_by("created_at", "id")
        .values("body_text")[:1]
    )
    return tickets.annotate(first_text=Subquery(first)).select_related("request_type", "incident")


def _holders(references: list[str]) -> QuerySet[Any, Any]:
    """The customers holding these bookings (imported with the bookings;
    ``booking_reference_upper_idx``)."""
    return (
        Booking.objects.alias(reference_upper=Upper("reference"))
        .filter(reference_upper__in=references)
        .values("customer_id")
    )


def customer_candidates(
    customer_id: int | None,
    *,
    now: datetime,
    references: tuple[str, ...] = (),
    sharing: int | None = None,
) -> list[Ticket]:
    """The customer's active tickets and those solved within ``SOLVED_WINDOW``, the tickets
    of customers sharing an identity with it (``Customer.shares_identity_with``, either way;
    ``sharing``: the one it typed an identity of), and the tickets of the holders of the
    bookings the contact names (newest first; ``ticket_customer_idx``). One query. Closed and
    merged tickets are never candidates."""
    owners = Q(pk__in=[])
    if customer_id is not None:
        typed_mine = Customer.objects.filter(shares_identity_with_id=customer_id).values("pk")
        owners = Q(customer_id=customer_id) | Q(customer_id__in=Subquery(typed_mine))
    if sharing is not None:
        owners |= Q(customer_id=sharing)
    if references:
        owners |= Q(customer_id__in=Subquery(_holders(list(references))))
    qs = Ticket.objects.filter(owners).filter(
        Q(status__in=ACTIVE_STATUSES)
        | Q(status=TicketStatus.SOLVED, solved_at__gte=now - SOLVED_WINDOW)
    )
    tickets = _with_first_message(qs.select_related("customer")).order_by("-created_at")
    return [t for t in tickets[:MAX_CANDIDATES] if t.merged_into_id is None]


def nothing_to_compare(references: tuple[str, ...], name: str, *, now: datetime) -> bool:
    """For a contact whose customer we do not know: True when no ticket can be a candidate
    (no active ticket of a booking's holder, none on the same booking reference, none under
    the same name). One id-only query — a union whose branches each use their index — stands
    for the three candidate queries, which a surge's first contacts nearly all answer with
    nothing; only when it finds something are the candidates loaded."""
    active = Ticket.objects.filter(status__literal_in=tuple(ACTIVE_STATUSES))
    branches: list[QuerySet[Any, Any]] = []
    if references:
        refs = list(references)
        branches.append(
            active.alias(booking_ref=Upper(JsonKeyText("custom_fields", BOOKING_REFERENCE_FIELD)))
            .filter(booking_ref__in=refs)
            .values("pk")
        )
        branches.append(active.filter(customer_id__in=Subquery(_holders(refs))).values("pk"))
    if name and searchable_name(name):
        key, family = name_keys(name)
        recent = active.filter(created_at__gte=now - NAME_WINDOW)
        branches.append(recent.filter(customer__name_key=key).values("pk"))
        if family:
            branches.append(recent.filter(customer__family_key=family).values("pk"))
    if not branches:
        return True
    first, *rest = branches
    return not list(first.union(*rest)[:1]) if rest else not list(first[:1])


def searchable_name(name: str) -> bool:
    """A full name (two words at least): a first name alone identifies no one."""
    return " " in name_keys(name)[0]


def name_candidates(
    name: str, *, now: datetime, exclude_customer: int | None, exclude: set[int]
) -> list[Ticket]:
    """Other customers' active tickets opened within ``NAME_WINDOW`` whose customer has the
    same name key (the same person at an identity we do not know yet) or the same family key
    (a family on one booking), newest first. One bounded query on
    ``customer_name_key_idx``/``customer_family_key_idx``; none without a full name."""
    if not searchable_name(name):
        return []
    key, family = name_keys(name)
    owners = Q(customer__name_key=key)
    if family:
        owners |= Q(customer__family_key=family)
    qs = Ticket.objects.filter(
        owners, status__in=ACTIVE_STATUSES, created_at__gte=now - NAME_WINDOW
    )
    if exclude_customer is not None:
        qs = qs.exclude(customer_id=exclude_customer)
    tickets = _with_first_message(qs.select_related("customer")).order_by("-created_at")
    return [
        t for t in tickets[:MAX_NAME_CANDIDATES] if t.merged_into_id is None and t.pk not in exclude
    ]


def reference_candidates(
    references: tuple[str, ...], *, exclude_customer: int | None
) -> list[Ticket]:
    """Other customers' active tickets whose booking reference field holds one of these
    references (``ticket_booking_ref_idx``). One query."""
    qs = Ticket.objects.alias(
        booking_ref=Upper(JsonKeyText("custom_fields", BOOKING_REFERENCE_FIELD))
    ).filter(booking_ref__in=list(references), status__in=ACTIVE_STATUSES)
    if exclude_customer is not None:
        qs = qs.exclude(customer_id=exclude_customer)
    tickets = _with_first_message(qs.select_related("customer")).order_by(F("created_at").desc())
    return [t for t in tickets[:MAX_CANDIDATES] if t.merged_into_id is None]


# ------------------------------------------------------------------------------------------
# Decision
# ------------------------------------------------------------------------------------------


def _last_activity(ticket: Ticket) -> datetime:
    times = [ticket.created_at, ticket.last_customer_message_at, ticket.last_agent_message_at]
    return max(t for t in times if t is not None)


def _hours(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() // 3600))


def _score(
    ticket: Ticket,
    *,
    features: ContactFeatures,
    new: Text,
    references: tuple[str, ...],
    own_active: int,
    now: datetime,
    holders: frozenset[int] = frozenset(),
    sharing: frozenset[int] = frozenset(),
    namesakes: int = 0,
    relatives: int = 0,
) -> Candidate | None:
    """The candidate with its evidence; None when it cannot be the same matter.

    ``holders``: customers holding a booking the contact names; ``sharing``: customers
    sharing an identity with the contact's; ``namesakes``/``relatives``: how many customers
    with active tickets share the contact's name / family name."""
    candidate = Candidate(ticket=ticket, score=0.0)
    customer = features.customer
    same_customer = customer is not None and customer.pk == ticket.customer_id
    shared = not same_customer and ticket.customer_id in sharing
    related = same_customer or shared
    ref = booking_reference_of(ticket)
    structured = features.booking_reference
    if (
        structured
        and ref
        and structured != ref
        and (not related or Levenshtein.distance(structured, ref) > 1)
    ):
        return None  # another booking: another matter
    old = prepare(f"{ticket.subject}\n{getattr(ticket, 'first_text', '') or ''}")

    if same_customer:
        candidate.add("same_customer", W_SAME_CUSTOMER)
        if features.by_primary_identity and features.identity_kind:
            candidate.add("recognised_by", 0.0, features.identity_kind)
    elif shared:
        candidate.add("shares_identity", W_SHARES_IDENTITY, features.shared_kind or None)
        candidate.linked = True
    else:
        candidate.add("other_customer", W_OTHER_CUSTOMER, ticket.customer.name)
        _name_evidence(candidate, features.name, ticket.customer, namesakes, relatives)

    if ref and (ref == structured or ref in references or ref in new.references):
        candidate.add("booking_reference", W_BOOKING, ref)
        candidate.linked = True
    elif ref and structured and structured != ref:
        # One character apart: a typo, or two bookings. Never automatic.
        candidate.add("similar_reference", W_SIMILAR_REFERENCE, f"{structured} ≈ {ref}")
        candidate.contrary = True
        candidate.linked = True
    elif ref and any(0 < Levenshtein.distance(r, ref) <= 1 for r in new.references):
        # The text names this ticket's reference with a typo.
        near = next(r for r in new.references if Levenshtein.distance(r, ref) <= 1)
        candidate.add("similar_reference", W_SIMILAR_REFERENCE, f"{near} ≈ {ref}")
        candidate.linked = True
    elif not related and ticket.customer_id in holders:
        # The candidate's customer holds a booking the contact names (imported bookings).
        candidate.add("holds_booking", 0.0, [r for r in references if r != ref][:2])
        candidate.linked = True

    wanted_type = features.request_type
    if wanted_type is not None and ticket.request_type_id is not None:
        if ticket.request_type_id == wanted_type.pk:
            candidate.add("request_type", W_REQUEST_TYPE, wanted_type.key)
        else:
            other = ticket.request_type.key if ticket.request_type else ""
            candidate.add(
                "other_request_type", W_OTHER_REQUEST_TYPE, f"{other} → {wanted_type.key}"
            )
            candidate.contrary = True

    similarity = text_similarity(new, old)
    candidate.similarity = similarity
    candidate.add("similar_text", _text_weight(similarity, chaser=new.chaser), round(similarity, 2))
    topics = new.topics & old.topics
    if topics:
        candidate.add("same_topic", W_SAME_TOPIC, sorted(topics))
    elif new.topics and old.topics:
        change = f"{'/'.join(sorted(old.topics))} → {'/'.join(sorted(new.topics))}"
        candidate.add("other_topic", W_OTHER_TOPIC, change)
        candidate.contrary = True
    candidate.matter = bool(topics) or new.chaser or similarity >= MATTER_SIMILARITY
    # In a crisis everyone writes about the incident, its refunds and cancellations, on the
    # same sailing, date and fare: there only a chaser is the person's own words.
    candidate.crisis = bool((new.topics | old.topics) & CRISIS_TOPICS)
    candidate.same_words = new.chaser or (bool(topics) and not candidate.crisis)
    shared_details = sorted((new.details & old.details) - {ref})
    candidate.shared_details = len(shared_details)
    candidate.strong_details = sum(1 for d in shared_details if _REFERENCE.match(d.lower()))
    if shared_details:
        candidate.add(
            "shared_details",
            W_DETAIL * min(len(shared_details), W_DETAILS_MAX),
            shared_details[:4],
        )

    if related:
        if new.chaser:
            candidate.add("chaser", W_CHASER)
        if own_active == 1:
            candidate.add("only_open_request", W_ONLY_OPEN)
    idle = now - _last_activity(ticket)
    if idle <= timedelta(days=2):
        candidate.add("recent_activity", W_FRESH, _hours(idle))
    elif idle > timedelta(days=14):
        candidate.add("recent_activity", W_STALE_TWO_WEEKS, _hours(idle))
    elif idle > timedelta(days=7):
        candidate.add("recent_activity", W_STALE_WEEK, _hours(idle))
    if ticket.status == TicketStatus.SOLVED and ticket.solved_at is not None:
        candidate.add("recently_solved", W_SOLVED, _hours(now - ticket.solved_at))
    incident = ticket.incident
    if related and incident is not None and features.incident_slug == incident.slug:
        candidate.add("same_incident", W_INCIDENT, incident.slug)
    if features.channel and features.channel != ticket.channel:
        candidate.add("channel_switch", W_CHANNEL_SWITCH, f"{ticket.channel} → {features.channel}")
    return candidate


def _name_evidence(
    candidate: Candidate, name: str, other: Customer, namesakes: int, relatives: int
) -> None:
    """Names alike (the same person at another identity?) or one family name (a family on one
    booking?); weaker the more customers with active tickets share it."""
    similarity = name_similarity(name, other.name)
    family = name_keys(name)[1]
    if similarity >= 0.8:
        candidate.add("similar_name", W_SIMILAR_NAME * similarity, round(similarity, 2))
        sharing = namesakes
        candidate.unique_name = similarity >= SAME_NAME and namesakes <= 1
    elif family and family == other.family_key:
        candidate.add("same_family_name", W_FAMILY_NAME, other.name)
        sharing = relatives
    else:
        return
    if sharing > 2:
        candidate.add("common_name", W_COMMON_NAME * (min(sharing, 6) - 2), sharing)


def _text_weight(similarity: float, *, chaser: bool) -> float:
    """Similar text is evidence; dissimilar text is evidence against, except from a chaser
    ("any news?" shares no words with the request it chases)."""
    weight = 3.0 * (similarity - 0.5)
    if chaser:
        weight = max(weight, 0.0)
    return round(weight, 2)


def _suggestible(candidate: Candidate) -> bool:
    """Worth an agent's look: enough evidence, and for another customer's ticket found by name
    and text alone (no shared identity or booking), the same matter, nothing contrary, and
    close text or shared details — in a crisis hundreds write the same words."""
    if candidate.same_customer or candidate.linked:
        return candidate.score >= SUGGEST_SCORE
    if candidate.contrary:
        return False
    if candidate.crisis:
        # Details and topics are everyone's in a crisis: the same name as no one else's and a
        # chaser only.
        return (
            candidate.unique_name and candidate.same_words and candidate.score >= NAME_SUGGEST_SCORE
        )
    if candidate.unique_name and (candidate.same_words or candidate.strong_details):
        # The same name as no one else's, and the same matter's words or its flight number.
        return candidate.score >= NAME_SUGGEST_SCORE
    return candidate.matter and candidate.shared_details > 0 and candidate.score >= SUGGEST_SCORE


def dedup_decide(features: ContactFeatures, *, now: datetime) -> DedupDecision:
    """Follow-up, suggestion or new ticket for a contact (module docstring)."""
    customer = features.customer
    customer_id = customer.pk if customer is not None else None
    shared_id = features.shared_customer.pk if features.shared_customer is not None else None
    owner_id = customer_id if customer_id is not None else shared_id
    new = prepare(features.text)
    references = tuple(
        dict.fromkeys(r for r in (features.booking_reference, *new.references) if r)
    )[: MAX_TEXT_REFERENCES + 1]
    typed_of = customer.shares_identity_with_id if customer is not None else None
    if owner_id is None and nothing_to_compare(references, features.name, now=now):
        return DedupDecision(action="new")
    tickets: list[Ticket] = []
    if owner_id is not None or references:
        tickets = customer_candidates(owner_id, now=now, references=references, sharing=typed_of)
    # Customers sharing an identity with the contact's: the owner of the one it typed (this
    # contact's, or its customer's first contact's), and those who typed one of its own.
    found = {
        t.customer_id
        for t in tickets
        if owner_id is not None and t.customer.shares_identity_with_id == owner_id
    }
    sharing = frozenset(
        pk for pk in (shared_id, typed_of, *found) if pk is not None and pk != customer_id
    )
    own_active = sum(1 for t in tickets if t.customer_id == owner_id)
    holders = frozenset(
        t.customer_id for t in tickets if t.customer_id != owner_id and t.customer_id not in sharing
    )
    if references:
        seen = {t.pk for t in tickets}
        tickets += [
            t
            for t in reference_candidates(references, exclude_customer=owner_id)
            if t.pk not in seen
        ]
    # Another customer's ticket is a candidate only while active (theirs may be solved).
    tickets = [t for t in tickets if t.customer_id == owner_id or t.status in ACTIVE_STATUSES]

    def score(ticket: Ticket, namesakes: int = 0, relatives: int = 0) -> Candidate | None:
        return _score(
            ticket,
            features=features,
            new=new,
            references=references,
            own_active=own_active,
            now=now,
            holders=holders,
            sharing=sharing,
            namesakes=namesakes,
            relatives=relatives,
        )

    candidates = [c for c in map(score, tickets) if c is not None]
    candidates.sort(key=_rank)
    best = candidates[0] if candidates else None
    rivals = [c for c in candidates[1:] if c.same_customer]
    margin_ok = best is None or not rivals or best.score - rivals[0].score >= FOLLOW_UP_MARGIN
    if (
        best is not None
        and best.same_customer
        and best.matter
        and not best.contrary
        and features.by_primary_identity
        and best.score >= FOLLOW_UP_SCORE
        and margin_ok
    ):
        return DedupDecision(
            action="follow_up", ticket=best.ticket, score=best.score, evidence=best.evidence
        )
    # Not certain: also other customers' tickets under a name like the contact's.
    if features.name:
        named = name_candidates(
            features.name,
            now=now,
            exclude_customer=owner_id,
            exclude={t.pk for t in tickets},
        )
        key, family = name_keys(features.name)
        namesakes = len({t.customer_id for t in named if t.customer.name_key == key})
        relatives = len(
            {t.customer_id for t in named if family and t.customer.family_key == family}
        )
        candidates += [c for c in (score(t, namesakes, relatives) for t in named) if c is not None]
        candidates.sort(key=_rank)
    suggested = [c for c in candidates if _suggestible(c)]
    # One ticket found by name and text alone at most (the best): namesakes must not flood.
    by_name = [c for c in suggested if not (c.same_customer or c.linked)]
    suggested = [c for c in suggested if c.same_customer or c.linked or c is by_name[0]]
    suggested = suggested[:MAX_SUGGESTIONS]
    if not suggested:
        return DedupDecision(action="new")
    best = suggested[0]
    if best.same_customer and not margin_ok and rivals:
        best.add("ambiguous", W_AMBIGUOUS, rivals[0].ticket.reference)
    return DedupDecision(action="suggest", score=best.score, suggestions=suggested)


def _rank(candidate: Candidate) -> tuple[float, float]:
    return (-candidate.score, -candidate.ticket.created_at.timestamp())

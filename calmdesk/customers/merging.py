"""One customer across channels: merge two customers, undo a merge, link a verified identity.

``customer_merge`` moves everything that belongs to the ``source`` customer to the ``target``:
identities, tickets, bookings, contacts, and the rows of any other app that point at a
customer (broadcast recipients, …). The ids of what moved are recorded in
``CustomerMerge.moved``, so ``customer_unmerge`` can move exactly those rows back. Tickets
keep their history: a ticket's messages still name the customer who wrote them.

Automatic merges (``customer_link_verified``): when a contact *proves* an identity — the
carrier vouches for an SMS/WhatsApp sender, Telegram for a chat id, a click on a link we
emailed proves the address — and that identity belongs to another customer, the two are the
same person and are merged without asking: the newer customer into the older one (the one with
the longer history), recorded as a merge by "Calmdesk" that a lead can undo. An identity that
was only typed (a form's email or phone) never merges anyone: it may be someone else's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from calmdesk.core.errors import DomainError

from .models import Customer, CustomerMerge, Identity

User = AbstractBaseUser

# Relations named in ``moved`` by a short key (the others by "<app.Model>.<field>").
NAMED = {
    ("customers.Identity", "customer"): "identities",
    ("tickets.Ticket", "customer"): "tickets",
    ("customers.Booking", "customer"): "bookings",
    ("conversations.Contact", "customer"): "contacts",
}
# Relations that describe the merge itself, not the customer's belongings.
SKIPPED = {
    ("customers.Customer", "merged_into"),
    ("customers.CustomerMerge", "source"),
    ("customers.CustomerMerge", "target"),
}


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _relations() -> list[tuple[str, type[models.Model], str]]:
    """(key in ``moved``, model, field name) for every many-to-one relation to Customer."""
    found = []
    for rel in Customer._meta.related_objects:
        if not rel.one_to_many:
            continue
        model = rel.related_model
        assert isinstance(model, type)
        label = (model._meta.label, rel.field.name)
        if label in SKIPPED:
            continue
        key = NAMED.get(label, f"{label[0]}.{label[1]}")
        found.append((key, model, rel.field.name))
    return found


def _relation(key: str) -> tuple[type[models.Model], str]:
    for name, model, field in _relations():
        if name == key:
            return model, field
    raise DomainError(_("This merge names data Calmdesk no longer has."), code="unknown")


def final_customer(customer: Customer) -> Customer:
    """The customer this one was (perhaps repeatedly) merged into; itself when not merged."""
    seen = {customer.pk}
    while customer.merged_into_id and customer.merged_into_id not in seen:
        customer = Customer.objects.get(pk=customer.merged_into_id)
        seen.add(customer.pk)
    return customer


def _lock_pair(a: int, b: int) -> dict[int, Customer]:
    rows = Customer.objects.select_for_update().filter(pk__in=[a, b]).order_by("pk")
    return {c.pk: c for c in rows}


def _move(
    model: type[models.Model], field: str, *, source: Customer, target: Customer
) -> tuple[list[int], list[int]]:
    """Point the source's rows at the target: (moved ids, ids kept because the target already
    has the same row, e.g. the same booking reference)."""
    manager = model._default_manager
    ids = list(manager.filter(**{field: source}).order_by("pk").values_list("pk", flat=True))
    if not ids:
        return [], []
    try:
        with transaction.atomic():
            manager.filter(pk__in=ids).update(**{field: target})
        return ids, []
    except IntegrityError:
        pass
    moved, kept = [], []
    for pk in ids:
        try:
            with transaction.atomic():
                manager.filter(pk=pk).update(**{field: target})
            moved.append(pk)
        except IntegrityError:
            kept.append(pk)
    return moved, kept


def merge_preview(*, source: Customer, target: Customer) -> dict[str, int]:
    """What a merge of ``source`` into ``target`` would move: counts per kind (for the
    confirmation). Read-only."""
    counts: dict[str, int] = {}
    for key, model, field in _relations():
        n = model._default_manager.filter(**{field: source}).count()
        if n:
            counts[key] = n
    return counts


@transaction.atomic
def customer_merge(
    *,
    source: Customer,
    target: Customer,
    actor: User | None,
    reason: str = "",
    now: datetime | None = None,
) -> CustomerMerge:
    """Merge ``source`` into ``target`` (module docstring). The source stays as an empty record
    with ``merged_into`` set, so old links and the merge history keep working."""
    now = now or timezone.now()
    if source.pk == target.pk:
        raise DomainError(_("A customer cannot be merged with themselves."), field="target")
    locked = _lock_pair(source.pk, target.pk)
    if len(locked) != 2:
        raise DomainError(_("No such customer."), field="target", code="not_found")
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id is not None:
        raise DomainError(
            _("%(name)s was already merged into another customer.") % {"name": source},
            field="target",
            code="merged",
        )
    if target.merged_into_id is not None:
        raise DomainError(
            _("%(name)s was merged into another customer: merge into that one.") % {"name": target},
            field="target",
            code="circular" if target.merged_into_id == source.pk else "merged",
        )
    moved: dict[str, Any] = {}
    kept: dict[str, list[int]] = {}
    for key, model, field in _relations():
        ids, left = _move(model, field, source=source, target=target)
        if ids:
            moved[key] = ids
        if left:
            kept[key] = left
    if kept:
        moved["kept"] = kept
    moved["copied"] = _copy_missing(source=source, target=target)
    source.merged_into = target
    source.save(update_fields=["merged_into"])
    return CustomerMerge.objects.create(
        source=source,
        target=target,
        moved=moved,
        reason=reason.strip()[:300],
        actor=_user(actor),
        at=now,
    )


def _copy_missing(*, source: Customer, target: Customer) -> dict[str, Any]:
    """Name, language, attributes and the broadcast opt-out the target lacks; returns what was
    copied so an undo can take it back."""
    copied: dict[str, Any] = {}
    fields: list[str] = []
    if not target.name and source.name:
        target.name = source.name
        copied["name"] = source.name
        fields.append("name")
    if not target.language and source.language:
        target.language = source.language
        copied["language"] = source.language
        fields.append("language")
    extra = {k: v for k, v in (source.attributes or {}).items() if k not in target.attributes}
    if extra:
        target.attributes = {**target.attributes, **extra}
        copied["attributes"] = sorted(extra)
        fields.append("attributes")
    if target.broadcast_opt_out_at is None and source.broadcast_opt_out_at is not None:
        # Someone who asked us to stop must not start receiving broadcasts under another name.
        target.broadcast_opt_out_at = source.broadcast_opt_out_at
        copied["broadcast_opt_out_at"] = True
        fields.append("broadcast_opt_out_at")
    if fields:
        target.save(update_fields=fields)
    return copied


def can_undo(merge: CustomerMerge, user: Any) -> bool:
    """Who may undo a merge: the agent who made it, or a lead/administrator (automatic merges:
    leads only)."""
    from calmdesk.accounts.permissions import is_agent, sees_all_teams

    if merge.undone_at is not None or not is_agent(user):
        return False
    return sees_all_teams(user) or (merge.actor_id is not None and merge.actor_id == user.pk)


@transaction.atomic
def customer_unmerge(
    *, merge: CustomerMerge, actor: User | None, now: datetime | None = None
) -> CustomerMerge:
    """Undo a merge: exactly the rows it moved go back to the source, what it copied is taken
    back, and the source is a customer of its own again. Refused when a moved row has moved
    again since (undo the later merge first)."""
    now = now or timezone.now()
    merge = CustomerMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise DomainError(_("This merge was already undone."), code="undone")
    locked = _lock_pair(merge.source_id, merge.target_id)
    source, target = locked[merge.source_id], locked[merge.target_id]
    if source.merged_into_id != target.pk:
        raise DomainError(
            _("%(name)s is no longer merged into %(target)s.") % {"name": source, "target": target},
            code="changed",
        )
    plan: list[tuple[type[models.Model], str, list[int]]] = []
    for key, ids in merge.moved.items():
        if key in ("kept", "copied") or not ids:
            continue
        model, field = _relation(key)
        manager = model._default_manager
        elsewhere = manager.filter(pk__in=ids).exclude(**{field: target}).count()
        if elsewhere:
            raise DomainError(
                _(
                    "Some of what this merge moved (%(what)s) has moved again since: undo the "
                    "later merge first."
                )
                % {"what": key},
                code="moved_again",
            )
        plan.append((model, field, ids))
    for model, field, ids in plan:
        model._default_manager.filter(pk__in=ids).update(**{field: source})
    _take_back(merge.moved.get("copied") or {}, source=source, target=target)
    source.merged_into = None
    source.save(update_fields=["merged_into"])
    merge.undone_at = now
    merge.undone_by = _user(actor)
    merge.save(update_fields=["undone_at", "undone_by"])
    return merge


def _take_back(copied: dict[str, Any], *, source: Customer, target: Customer) -> None:
    fields: list[str] = []
    if "name" in copied and target.name == copied["name"]:
        target.name = ""
        fields.append("name")
    if "language" in copied and target.language == copied["language"]:
        target.language = ""
        fields.append("language")
    keys = [k for k in copied.get("attributes") or [] if k in target.attributes]
    if keys:
        attributes = dict(target.attributes)
        for key in keys:
            if attributes[key] == (source.attributes or {}).get(key):
                attributes.pop(key)
        target.attributes = attributes
        fields.append("attributes")
    if copied.get("broadcast_opt_out_at") and (
        target.broadcast_opt_out_at == source.broadcast_opt_out_at
    ):
        target.broadcast_opt_out_at = None
        fields.append("broadcast_opt_out_at")
    if fields:
        target.save(update_fields=fields)


# ------------------------------------------------------------------------------------------
# Verified identities
# ------------------------------------------------------------------------------------------


@dataclass
class LinkResult:
    customer: Customer  # the customer the identity belongs to now (the one kept on a merge)
    identity: Identity
    merge: CustomerMerge | None = None  # set when two customers turned out to be one person


@transaction.atomic
def customer_link_verified(
    *, customer: Customer, kind: str, value: str, now: datetime | None = None
) -> LinkResult:
    """``customer`` has just proved ``(kind, value)`` (normalised): see the module docstring.

    The identity is stored as verified. Owned by nobody: it becomes this customer's. Owned by
    another customer: the two are merged, the newer into the older. Call it only for a proof —
    a channel that vouches for the sender, or a link we sent to that identity being used.
    """
    now = now or timezone.now()
    customer = final_customer(customer)
    identity = Identity.objects.select_for_update().filter(kind=kind, value=value).first()
    if identity is None:
        identity, _created = Identity.objects.get_or_create(
            kind=kind, value=value, defaults={"customer": customer, "verified": True}
        )
    if not identity.verified:
        identity.verified = True
        identity.save(update_fields=["verified"])
    owner = final_customer(identity.customer)
    if owner.pk == customer.pk:
        return LinkResult(customer=customer, identity=identity)
    older, newer = sorted((owner, customer), key=lambda c: (c.created_at, c.pk))
    merge = customer_merge(
        source=newer,
        target=older,
        actor=None,
        reason=_("Verified %(kind)s %(value)s belongs to both") % {"kind": kind, "value": value},
        now=now,
    )
    identity.refresh_from_db()
    return LinkResult(customer=older, identity=identity, merge=merge)

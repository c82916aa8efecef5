"""factory_boy factories shared by every app's tests. Tickets are built through the services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from calmdesk.accounts.models import AgentProfile, Role, Team
from calmdesk.customers.models import Customer, Identity, IdentityKind
from calmdesk.tickets.enums import Channel
from calmdesk.tickets.models import RequestType, Ticket

User = get_user_model()


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    time_zone = "UTC"
    # Round the clock by default, so tests do not depend on the weekday they run on.
    working_hours = factory.LazyFunction(
        lambda: {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    )


class UserFactory(factory.django.DjangoModelFactory[Any]):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@calmdesk.test")
    first_name = factory.Faker("first_name")
    password = factory.django.Password("pw-for-tests")


class AgentFactory(UserFactory):
    """A user with an agent profile; ``teams=[...]`` and ``role=`` shape it."""

    @factory.post_generation
    def profile(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if not create:
            return
        profile = AgentProfile.objects.create(
            user=obj,
            role=kwargs.get("role", Role.AGENT),
            languages=["en"],
        )
        teams = kwargs.get("teams") or []
        profile.teams.set(teams)


class CustomerFactory(factory.django.DjangoModelFactory[Customer]):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Faker("name")
    language = "en"

    @factory.post_generation
    def email(obj: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create:
            Identity.objects.create(
                customer=obj,
                kind=IdentityKind.EMAIL,
                value=extracted or f"customer{obj.pk}@example.com",
            )


class RequestTypeFactory(factory.django.DjangoModelFactory[RequestType]):
    class Meta:
        model = RequestType
        django_get_or_create = ("key",)

    key = factory.Sequence(lambda n: f"type-{n}")
    names = factory.LazyAttribute(lambda o: {"en": o.key.replace("-", " ").title()})
    team = factory.SubFactory(TeamFactory)


def make_ticket(
    *,
    customer: Customer | None = None,
    request_type: RequestType | None = None,
    subject: str = "My booking",
    body: str = "Please help with my booking.",
    channel: str = Channel.FORM,
    custom_fields: dict[str, Any] | None = None,
    language: str = "en",
    now: datetime | None = None,
) -> Ticket:
    """A ticket created through ``ticket_create``, as intake would (triage, SLA, events)."""
    from calmdesk.tickets.services import ticket_create

    return ticket_create(
        customer=customer or CustomerFactory.create(),
        subject=subject,
        body_text=body,
        request_type=request_type,
        channel=channel,
        language=language,
        custom_fields=custom_fields or {},
        now=now or timezone.now(),
    )

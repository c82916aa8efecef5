"""Factories for the dashboard tests (incidents and broadcasts are built with the ORM here:
their services belong to other apps and are exercised there)."""

from __future__ import annotations

import factory

from calmdesk.incidents.models import Broadcast, Incident, IncidentText


class IncidentFactory(factory.django.DjangoModelFactory[Incident]):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"incident-{n}")
    languages = factory.LazyFunction(lambda: ["en"])

    @factory.post_generation
    def title(obj: Incident, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create:
            IncidentText.objects.create(
                incident=obj, language="en", title=extracted or "Fire on the ferry", summary="…"
            )


class BroadcastFactory(factory.django.DjangoModelFactory[Broadcast]):
    class Meta:
        model = Broadcast

    name = factory.Sequence(lambda n: f"Broadcast {n}")
    templates = factory.LazyFunction(lambda: {"en": {"subject": "News", "body": "Hello"}})

"""Factories of the phone app's tests."""

from __future__ import annotations

import factory

from calmdesk.core.testing.factories import TeamFactory

from ..models import Extension, PhoneSystem


class PhoneSystemFactory(factory.django.DjangoModelFactory[PhoneSystem]):
    class Meta:
        model = PhoneSystem

    name = factory.Sequence(lambda n: f"PBX {n}")
    token = factory.Sequence(lambda n: f"cdp_test_token_{n:04d}")
    team = factory.SubFactory(TeamFactory)
    default_region = "TR"
    language = "en"


class ExtensionFactory(factory.django.DjangoModelFactory[Extension]):
    class Meta:
        model = Extension

    phone_system = factory.SubFactory(PhoneSystemFactory)
    number = factory.Sequence(lambda n: f"{200 + n}")

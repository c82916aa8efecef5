from __future__ import annotations

import factory

from calmdesk.core.testing.factories import TeamFactory
from calmdesk.messaging.models import MessagingAccount, Provider
from calmdesk.messaging.tests import fakes

CREDENTIALS = {
    Provider.TWILIO: {
        "account_sid": fakes.TWILIO_SID,
        "auth_token": fakes.TWILIO_TOKEN,
        "from_number": fakes.TWILIO_FROM,
    },
    Provider.WHATSAPP: {
        "phone_number_id": fakes.WA_NUMBER_ID,
        "access_token": fakes.WA_TOKEN,
        "app_secret": fakes.WA_SECRET,
        "verify_token": fakes.WA_VERIFY,
    },
    Provider.TELEGRAM: {"bot_token": fakes.TG_TOKEN, "secret_token": fakes.TG_SECRET},
}


class MessagingAccountFactory(factory.django.DjangoModelFactory[MessagingAccount]):
    class Meta:
        model = MessagingAccount

    provider = Provider.TWILIO
    name = factory.Sequence(lambda n: f"Account {n}")
    team = factory.SubFactory(TeamFactory)
    credentials = factory.LazyAttribute(lambda a: dict(CREDENTIALS[a.provider]))

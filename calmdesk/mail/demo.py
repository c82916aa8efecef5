"""Demo data of the mail app for ``make run``: one mailbox taking any address at calmdesk.test."""

from __future__ import annotations

from calmdesk.accounts.models import Team

from .models import Mailbox

DEMO_ADDRESS = "support@calmdesk.test"
DEMO_DOMAIN = "calmdesk.test"


def demo_mailbox(*, team: Team | None = None) -> Mailbox:
    """The default mailbox "Support <support@calmdesk.test>", catch-all for calmdesk.test, bound
    to ``team`` (default: the first team). Idempotent: an existing one is returned as it is."""
    existing = Mailbox.objects.filter(address=DEMO_ADDRESS).first()
    if existing is not None:
        return existing
    team = team or Team.objects.order_by("pk").first()
    mailbox, _created = Mailbox.objects.get_or_create(
        address=DEMO_ADDRESS,
        defaults={
            "name": "Support",
            "from_name": "Support",
            "catch_all_domain": DEMO_DOMAIN,
            "team": team,
            "imap_host": "",
        },
    )
    return mailbox

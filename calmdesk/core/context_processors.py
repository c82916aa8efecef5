from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_bidi


def calmdesk(request: HttpRequest) -> dict[str, Any]:
    from calmdesk.accounts.permissions import sees_all_teams

    return {
        # Leads and administrators see the crisis tools (incidents, broadcasts, imports).
        "IS_LEAD": sees_all_teams(getattr(request, "user", None)),
        "LANGUAGE_BIDI": get_language_bidi(),
        "TEXT_DIRECTION": "rtl" if get_language_bidi() else "ltr",
        "SITE_URL": settings.SITE_URL,
    }

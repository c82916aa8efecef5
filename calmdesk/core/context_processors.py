from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language_bidi


def calmdesk(request: HttpRequest) -> dict[str, Any]:
    return {
        "LANGUAGE_BIDI": get_language_bidi(),
        "TEXT_DIRECTION": "rtl" if get_language_bidi() else "ltr",
        "SITE_URL": settings.SITE_URL,
    }

"""Template helpers available in every template (registered as builtins in settings).

``{{ value|localdate }}`` / ``{{ value|localdatetime }}`` show dates in the reader's calendar:
Solar Hijri (jdatetime) with Persian digits for Persian, Gregorian otherwise.
"""

from __future__ import annotations

from datetime import date, datetime

import jdatetime
from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.translation import get_language

register = template.Library()

_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _is_persian() -> bool:
    return (get_language() or "en")[:2] == "fa"


def persian_digits(text: str) -> str:
    return text.translate(_PERSIAN_DIGITS)


def format_date(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if _is_persian():
        if isinstance(value, datetime):
            jd = jdatetime.datetime.fromgregorian(datetime=value, locale="fa_IR")
            text = jd.strftime("%d %B %Y، %H:%M" if with_time else "%d %B %Y")
        else:
            jd = jdatetime.date.fromgregorian(date=value, locale="fa_IR")
            text = jd.strftime("%d %B %Y")
        return persian_digits(text)
    return str(
        date_filter(
            value, "DATETIME_FORMAT" if with_time and isinstance(value, datetime) else "DATE_FORMAT"
        )
    )


@register.filter
def localdate(value: date | datetime | None) -> str:
    return format_date(value)


@register.filter
def localdatetime(value: date | datetime | None) -> str:
    return format_date(value, with_time=True)


@register.filter
def localnumber(value: object) -> str:
    text = str(value)
    return persian_digits(text) if _is_persian() else text

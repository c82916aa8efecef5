"""Template helpers available in every template (registered as builtins in settings).

``{{ value|localdate }}`` / ``{{ value|localdatetime }}`` show dates in the reader's calendar:
Solar Hijri (jdatetime) with Persian digits for Persian, Gregorian otherwise.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import lru_cache

import jdatetime
from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
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
    if not isinstance(value, date):
        return _format_date(value, with_time)
    # The text depends only on the value, the language and the time zone: a page that shows
    # the same dates again (a queue reloaded, a timeline) formats each one once per process.
    return _format_date_cached(value, with_time, get_language(), timezone.get_current_timezone())


@lru_cache(maxsize=4096)
def _format_date_cached(
    value: date | datetime, with_time: bool, language: str | None, tz: tzinfo
) -> str:
    return _format_date(value, with_time)


@receiver(setting_changed)
def _forget_formatted_dates(**kwargs: object) -> None:
    """Formats, languages and time zones come from settings (tests change them)."""
    _format_date_cached.cache_clear()


def _format_date(value: date | datetime, with_time: bool) -> str:
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

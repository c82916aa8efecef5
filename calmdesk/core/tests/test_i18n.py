"""Every interface string is translated in every language, and dates read naturally."""

from __future__ import annotations

import gettext
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.timesince import timesince

LOCALE = Path(settings.BASE_DIR) / "calmdesk" / "locale"
LANGUAGES = ["fa", "tr", "lt"]
# An empty msgstr (or msgstr[n]) that is not continued on the next line.
EMPTY_MSGSTR = re.compile(r'^msgstr(\[\d\])? ""\n(?!")', re.MULTILINE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_untranslated_or_fuzzy_entries(language: str) -> None:
    text = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    body = text.split("\n\n", 1)[1]  # the header entry has an empty msgid/msgstr by design

    assert "#, fuzzy" not in body
    assert EMPTY_MSGSTR.findall(body) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_source(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    po_ids = set(re.findall(r'^msgid "(.+)"$', (folder / "django.po").read_text("utf-8"), re.M))
    with (folder / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    catalogue = compiled._catalog
    keys = {k if isinstance(k, str) else k[0] for k in catalogue}
    unescaped = {m.replace('\\"', '"').replace("\\n", "\n") for m in po_ids}

    missing = unescaped - keys

    assert missing == set(), "run: python manage.py compilemessages"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("lt", "21 valanda"), ("tr", "21 saat"), ("fa", "21 ساعت"), ("en", "21\xa0hours")],
)
def test_time_spans_are_in_the_readers_language(language: str, expected: str) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    with translation.override(language):
        assert timesince(now - timedelta(hours=21), now).replace("\xa0", " ") == expected.replace(
            "\xa0", " "
        )

"""The private link's token: unguessable, and sorted by creation (the index grows at its end)."""

from __future__ import annotations

import re
import time

from calmdesk.mail.threads import _TRACKING
from calmdesk.tickets.models import new_tracking_token


def test_tokens_are_url_safe_unique_and_found_in_a_quoted_tracking_link() -> None:
    tokens = [new_tracking_token() for _ in range(5000)]

    assert len(set(tokens)) == 5000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", t) for t in tokens)
    assert len({t[10:] for t in tokens}) == 5000  # the random part alone tells them apart
    link = f"> Follow it at https://desk.example.com/t/{tokens[0]}."
    assert _TRACKING.findall(link) == [tokens[0]]


def test_a_later_token_sorts_after_an_earlier_one() -> None:
    earlier = [new_tracking_token() for _ in range(3)]
    time.sleep(0.002)
    later = [new_tracking_token() for _ in range(3)]

    assert max(earlier) < min(later)
    assert sorted(earlier + later, key=str.lower)[-3:] == sorted(later, key=str.lower)

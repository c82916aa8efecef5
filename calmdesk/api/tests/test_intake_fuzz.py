"""Random JSON thrown at the public intake never makes it fail with a 5xx.

Needs ``hypothesis``, which is not in the lockfile yet: without it this file is skipped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from .factories import install_form

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

pytestmark = pytest.mark.usefixtures("fuzz_setup")

URL = "/api/v1/requests"
KEYS = ["name", "email", "phone", "request_type", "subject", "message", "fields", "language"]
FIELD_KEYS = ["departure_date", "booking_reference", "attachments", "email", "unknown"]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=300)
    | st.sampled_from(["refund", "2031-05-12", "1405/09/01", "a@example.com", "+90 532 123 45 67"])
)
any_json = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def near_valid(draw: Any) -> dict[str, Any]:
    """A valid request with a few of its values swapped for anything at all."""
    body: dict[str, Any] = {
        "name": draw(
            st.sampled_from(["Elif Yılmaz", "سارا احمدی", "Jonas"]) | st.text(max_size=60)
        ),
        "email": draw(st.sampled_from(["a@example.com", "Elif@Example.COM", "b@ex.co"])),
        "request_type": "refund",
        "message": draw(
            st.sampled_from(["Refund please.", "پرواز لغو شد"]) | st.text(max_size=400)
        ),
        "phone": draw(st.sampled_from(["+90 532 123 45 67", ""])),
        "subject": draw(st.text(max_size=200)),
        "language": draw(st.sampled_from(["en", "fa", "tr", "lt"])),
        "fields": draw(
            st.dictionaries(
                st.sampled_from(["departure_date", "booking_reference"]),
                st.sampled_from(["2031-05-12", "XK7P2Q"]),
            )
        ),
    }
    for key in draw(st.sets(st.sampled_from(KEYS), max_size=2)):
        body[key] = draw(any_json | st.sampled_from(["1410/09/01", "۱۴۱۰/۰۹/۰۱", "0532 123 45 67"]))
    return body


bodies = st.one_of(
    any_json,
    near_valid(),
    st.fixed_dictionaries(
        {},
        optional={
            **dict.fromkeys(KEYS, any_json),
            "fields": st.dictionaries(st.sampled_from(FIELD_KEYS) | st.text(max_size=8), any_json),
        },
    ),
)


@pytest.fixture
def fuzz_setup(db: None, intake_limit: Any) -> None:
    install_form()
    intake_limit(1_000_000)


@hypothesis.settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(
    body=bodies,
    key=st.none() | st.text(max_size=300),
    language=st.sampled_from(["en", "fa", "tr", "lt", "xx", "fa-IR,fa;q=0.9", ""]),
)
def test_any_json_body_gets_an_answer_below_500(
    client: Client, body: Any, key: str | None, language: str
) -> None:
    headers = {"Accept-Language": language}
    if key is not None and key.isprintable() and "\n" not in key:
        headers["Idempotency-Key"] = key

    response = client.post(URL, json.dumps(body), content_type="application/json", headers=headers)

    assert response.status_code < 500
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert set(response.json()) == {"detail", "code", "field", "errors"}


@hypothesis.settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(raw=st.binary(max_size=400))
def test_any_bytes_get_an_answer_below_500(client: Client, raw: bytes) -> None:
    response = client.post(URL, raw, content_type="application/json")

    assert response.status_code < 500

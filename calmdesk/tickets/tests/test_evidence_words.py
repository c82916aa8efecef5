from __future__ import annotations

from django.utils import translation

from calmdesk.tickets.templatetags.agent_ui import evidence_text


def test_merge_evidence_reads_as_words_for_the_agent() -> None:
    evidence = {
        "score": 2.4,
        "reasons": [
            {"kind": "shares_identity", "value": "phone", "weight": 1.0},
            {"kind": "same_family_name", "value": "Rūta Kazlauskienė", "weight": 0.5},
            {"kind": "shared_details", "value": ["12.05", "TK1934"], "weight": 0.8},
            {"kind": "recent_activity", "value": 400, "weight": -0.5},
            {"kind": "moon_phase", "value": "full"},
        ],
    }

    with translation.override("en"):
        text = evidence_text(evidence)

    assert text == (
        "one of them typed the other's phone, same family name as Rūta Kazlauskienė, "
        "shared details: 12.05, TK1934, no activity for over a week, moon phase: full"
    )


def test_merge_evidence_is_translated() -> None:
    with translation.override("tr"):
        text = evidence_text({"reasons": [{"kind": "chaser"}]})

    assert text
    assert text != "asks for news"

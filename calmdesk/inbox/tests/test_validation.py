"""validate_submission: the single definition of a valid public request (form and API)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils.translation import override

from calmdesk.inbox.defaults import install_default_form
from calmdesk.inbox.models import FieldType, FormField
from calmdesk.inbox.validation import (
    SubmissionInvalid,
    clean_reply_text,
    derive_subject,
    validate_submission,
)
from calmdesk.tickets.models import RequestType

from .factories import pdf_upload, png_upload, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seed_form() -> None:
    install_default_form()


def valid_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Ayşe Yılmaz",
        "email": "Ayse.Yilmaz@Example.COM",
        "phone": "",
        "request_type": "refund",
        "departure_date": "2026-12-24",
        "booking_reference": "ABC123",
        "message": "My flight TK1234 was cancelled and I would like my money back please.",
    }
    data.update(overrides)
    return data


def errors_of(data: dict[str, Any], files: list[Any] | None = None, language: str = "en") -> dict:
    with pytest.raises(SubmissionInvalid) as exc_info:
        validate_submission(data, files or [], language=language)
    return exc_info.value.errors


def test_valid_submission_is_normalised_and_custom_fields_are_the_non_system_keys() -> None:
    clean = validate_submission(valid_data(), [], language="en")

    assert clean.name == "Ayşe Yılmaz"
    assert clean.email == "ayse.yilmaz@example.com"
    assert clean.phone == ""
    assert clean.request_type == RequestType.objects.get(key="refund")
    assert clean.custom_fields == {"departure_date": "2026-12-24", "booking_reference": "ABC123"}
    assert clean.message.startswith("My flight TK1234")
    assert clean.language == "en"
    assert clean.attachments == []


def test_subject_is_derived_from_the_type_and_the_first_words_of_the_message() -> None:
    clean = validate_submission(valid_data(), [], language="en")

    assert clean.subject == "Refund: My flight TK1234 was cancelled and I would…"


def test_subject_uses_the_type_name_in_the_visitors_language() -> None:
    clean = validate_submission(valid_data(message="پرواز من لغو شد"), [], language="fa")

    assert clean.subject == "استرداد وجه: پرواز من لغو شد"


def test_subject_field_when_configured_wins_over_the_derived_one() -> None:
    FormField.objects.create(key="subject", field_type=FieldType.TEXT, order=5)

    clean = validate_submission(valid_data(subject="  Refund for TK1234 "), [], language="en")

    assert clean.subject == "Refund for TK1234"


def test_derived_subject_of_one_very_long_word_is_cut_with_an_ellipsis() -> None:
    subject = derive_subject(request_type=None, message="x" * 500, language="en")

    assert subject == "x" * 80 + "…"


def test_missing_required_fields_each_get_their_own_message() -> None:
    errors = errors_of({"name": "  ", "email": "", "request_type": "", "message": "\n\t "})

    assert errors == {
        "name": ["Tell us your name."],
        "email": ["Enter your email address, so we can answer you."],
        "request_type": ["Choose what your request is about."],
        "message": ["Tell us how we can help."],
    }


def test_optional_fields_may_be_left_empty_and_are_not_stored() -> None:
    clean = validate_submission(
        valid_data(phone="", departure_date="", booking_reference="  "), [], language="en"
    )

    assert clean.custom_fields == {}
    assert clean.phone == ""


def test_invalid_email_is_refused_with_an_example() -> None:
    errors = errors_of(valid_data(email="ayse@"))

    assert errors == {"email": ["Enter an email address like name@example.com."]}


def test_phone_is_normalised_to_e164() -> None:
    clean = validate_submission(valid_data(phone="+90 (532) 123 45 67"), [], language="en")

    assert clean.phone == "+905321234567"


def test_phone_without_country_code_is_read_in_the_visitors_country() -> None:
    clean = validate_submission(valid_data(phone="0532 123 45 67"), [], language="tr")

    assert clean.phone == "+905321234567"


def test_phone_without_country_code_in_english_asks_for_the_code() -> None:
    errors = errors_of(valid_data(phone="0532 123 45 67"))

    assert errors == {
        "phone": ["Enter a phone number with its country code, e.g. +44 20 7946 0958."]
    }


@pytest.mark.parametrize(
    "value", ["24/12/2026", "2026-13-01", "2026-02-30", "tomorrow", "0001-01-01"]
)
def test_bad_date_says_what_a_date_looks_like(value: str) -> None:
    errors = errors_of(valid_data(departure_date=value))

    assert errors == {"departure_date": ["Enter a date like 2026-12-24."]}


def test_date_from_the_browser_date_input_is_kept_as_iso() -> None:
    clean = validate_submission(valid_data(departure_date="2027-01-05"), [], language="lt")

    assert clean.custom_fields["departure_date"] == "2027-01-05"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1405/10/03", "2026-12-24"),
        ("۱۴۰۵/۰۹/۰۱", "2026-11-22"),
        ("1405-9-1", "2026-11-22"),
        ("2026-12-24", "2026-12-24"),
        ("2026/12/24", "2026-12-24"),
    ],
)
def test_persian_visitors_may_write_solar_hijri_dates(value: str, expected: str) -> None:
    clean = validate_submission(valid_data(departure_date=value), [], language="fa")

    assert clean.custom_fields["departure_date"] == expected


def test_solar_hijri_date_is_not_guessed_for_other_languages() -> None:
    errors = errors_of(valid_data(departure_date="1405/10/03"), language="en")

    assert errors == {"departure_date": ["Enter a date like 2026-12-24."]}


def test_impossible_solar_hijri_date_is_refused_in_persian() -> None:
    with override("fa"):
        errors = errors_of(valid_data(departure_date="1405/13/40"), language="fa")

    assert list(errors) == ["departure_date"]


def test_unknown_or_inactive_request_type_is_refused() -> None:
    RequestType.objects.filter(key="other").update(active=False)

    assert errors_of(valid_data(request_type="other")) == {
        "request_type": ["Choose one of the listed request types."]
    }
    assert errors_of(valid_data(request_type="bribe")) == {
        "request_type": ["Choose one of the listed request types."]
    }


def test_choice_field_accepts_only_its_configured_values() -> None:
    FormField.objects.create(
        key="cabin",
        field_type=FieldType.CHOICE,
        choices=[{"value": "economy"}, {"value": "business"}],
        order=45,
    )

    assert (
        validate_submission(valid_data(cabin="business"), [], language="en").custom_fields["cabin"]
        == "business"
    )
    assert errors_of(valid_data(cabin="first")) == {"cabin": ["Choose one of the options."]}


def test_max_length_is_enforced_with_the_count() -> None:
    errors = errors_of(valid_data(booking_reference="X" * 21))

    assert errors == {"booking_reference": ["Please keep this under 20 characters (now 21)."]}


def test_very_long_message_is_refused_not_truncated() -> None:
    errors = errors_of(valid_data(message="a" * 20_001))

    assert errors == {"message": ["Please keep this under 20000 characters (now 20001)."]}


def test_nul_byte_gives_a_clear_error() -> None:
    errors = errors_of(valid_data(name="Ay\x00şe"))

    assert errors == {"name": ["This text contains a character that is not allowed (a NUL byte)."]}


def test_lone_surrogates_from_json_are_refused() -> None:
    errors = errors_of(valid_data(message="broken \ud800 text"))

    assert errors == {"message": ["This text contains characters that could not be read."]}


def test_non_text_values_are_refused_not_crashed_on() -> None:
    errors = errors_of(valid_data(name=["a", "b"], message={"x": 1}))

    assert errors == {"name": ["Enter plain text here."], "message": ["Enter plain text here."]}


def test_rtl_text_and_emoji_are_kept_exactly() -> None:
    message = "سلام 👋 پروازم لغو شد. لطفاً کمک کنید 🙏\nممنون"

    clean = validate_submission(valid_data(name="علی رضایی", message=message), [], language="fa")

    assert clean.name == "علی رضایی"
    assert clean.message == message


def test_whitespace_in_single_line_fields_is_collapsed_and_messages_keep_lines() -> None:
    clean = validate_submission(
        valid_data(name="  Jonas \n  Petraitis ", message="  Line one\r\nLine two  "),
        [],
        language="lt",
    )

    assert clean.name == "Jonas Petraitis"
    assert clean.message == "Line one\nLine two"


def test_unknown_keys_and_inactive_fields_are_ignored() -> None:
    FormField.objects.filter(key="booking_reference").update(active=False)

    clean = validate_submission(
        valid_data(booking_reference="IGNORED", is_admin="yes", team="refunds"), [], language="en"
    )

    assert clean.custom_fields == {"departure_date": "2026-12-24"}


def test_attachments_within_limits_are_accepted_with_a_trusted_content_type() -> None:
    files = [png_upload(content_type="text/html"), pdf_upload()]

    clean = validate_submission(valid_data(), files, language="en")

    assert [f.name for f in clean.attachments] == ["receipt.png", "ticket.pdf"]
    assert [f.content_type for f in clean.attachments] == ["image/png", "application/pdf"]


def test_too_many_attachments_are_refused(settings: Any) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "ATTACHMENT_MAX_FILES": 2}

    errors = errors_of(valid_data(), [png_upload(), png_upload(), png_upload()])

    assert errors == {"attachments": ["You can attach up to 2 files; you chose 3."]}


def test_oversized_attachment_is_refused_with_the_limit(settings: Any) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "ATTACHMENT_MAX_BYTES": 1024}

    errors = errors_of(valid_data(), [upload("notes.txt", b"a" * 2048, "text/plain")])

    assert errors == {
        "attachments": ["“notes.txt” is too large (2.0\xa0KB); each file may be up to 1.0\xa0KB."]
    }


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.txt", b"  <!DOCTYPE html><html><script>alert(1)</script></html>"),
        ("image.txt", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("utf16.txt", "<html><body>x</body></html>".encode("utf-16")),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("tool.txt", b"\x7fELF\x02\x01\x01\x00"),
        ("run.csv", b"#!/bin/sh\nrm -rf /\n"),
    ],
)
def test_web_pages_and_programs_are_refused_whatever_their_name(name: str, content: bytes) -> None:
    errors = errors_of(valid_data(), [upload(name, content)])

    assert errors == {
        "attachments": [
            f"“{name}” cannot be accepted: it contains a web page or a program. "
            "Please send a document or an image."
        ]
    }


def test_forbidden_extension_is_refused_with_the_accepted_list(settings: Any) -> None:
    settings.CALMDESK = {**settings.CALMDESK, "ATTACHMENT_EXTENSIONS": ["pdf", "png"]}

    errors = errors_of(valid_data(), [upload("photo.svg", b"hello")])

    assert errors == {
        "attachments": ["“photo.svg” is not a file type we accept. Accepted: pdf, png."]
    }


def test_file_whose_content_does_not_match_its_extension_is_refused() -> None:
    errors = errors_of(valid_data(), [upload("ticket.pdf", b"just some words")])

    assert errors == {
        "attachments": ["“ticket.pdf” does not look like a .pdf file. Is it damaged?"]
    }


def test_empty_file_is_refused() -> None:
    errors = errors_of(valid_data(), [upload("empty.txt", b"")])

    assert errors == {"attachments": ["“empty.txt” is empty."]}


def test_files_are_ignored_when_the_form_has_no_file_field() -> None:
    FormField.objects.filter(key="attachments").update(active=False)

    clean = validate_submission(valid_data(), [png_upload()], language="en")

    assert clean.attachments == []


def test_errors_are_translated_into_the_visitors_language() -> None:
    with override("fa"):
        errors = errors_of(valid_data(departure_date="tomorrow"), language="fa")

    # The Persian message, with the Solar Hijri example first.
    assert errors == {"departure_date": ["تاریخ را به شکل ۱۴۰۵/۱۰/۰۳ (یا 2026-12-24) وارد کنید."]}


def test_reply_text_is_required_and_checked_like_the_form() -> None:
    assert clean_reply_text("  Thanks!  ") == "Thanks!"
    with pytest.raises(SubmissionInvalid) as empty:
        clean_reply_text(" \n ")
    with pytest.raises(SubmissionInvalid) as nul:
        clean_reply_text("a\x00b")

    assert empty.value.errors == {"body": ["Write your message first."]}
    assert nul.value.errors == {
        "body": ["This text contains a character that is not allowed (a NUL byte)."]
    }

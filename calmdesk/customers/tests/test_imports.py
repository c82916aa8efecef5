"""Importing passenger lists: reading CSV/XLSX, guessing columns, validating rows, idempotence."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from calmdesk.core.errors import DomainError
from calmdesk.core.testing.factories import CustomerFactory
from calmdesk.customers.imports import (
    guess_mapping,
    import_create,
    import_inspect,
    import_run,
    parse_date,
    rejected_rows_csv,
    validate_mapping,
)
from calmdesk.customers.models import Booking, Customer, CustomerImport, Identity, ImportStatus
from calmdesk.customers.segments import customers_in_segment

pytestmark = pytest.mark.django_db

# Spreadsheets hold dates without a time zone; openpyxl reads them as naive datetimes.
NAIVE_DAY = datetime(2025, 7, 14)  # noqa: DTZ001

HEADER = "Full name,E-mail,Phone,Language,Booking,Ship,Departure,Tags"
MAPPING = {
    "name": "Full name",
    "email": "E-mail",
    "phone": "Phone",
    "language": "Language",
    "reference": "Booking",
    "ship": "Ship",
    "departure_date": "Departure",
    "tags": "Tags",
}


def csv_file(text: str, *, name: str = "list.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def xlsx_file(rows: list[list[Any]], *, name: str = "list.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def run(file: SimpleUploadedFile, mapping: dict[str, str] | None = None, **kw: Any) -> Any:
    upload, _preview = import_create(file=file, actor=None)
    return import_run(upload=upload, mapping=mapping or MAPPING, actor=None, **kw)


class TestInspect:
    def test_comma_separated_utf8(self) -> None:
        preview = import_inspect(
            csv_file(f"{HEADER}\nElif Yılmaz,elif@example.com,,tr,AB1,Ege Star,2025-07-14,\n")
        )
        assert preview.headers == HEADER.split(",")
        assert preview.rows == [
            ["Elif Yılmaz", "elif@example.com", "", "tr", "AB1", "Ege Star", "2025-07-14", ""]
        ]
        assert preview.kind == "csv"

    def test_semicolon_separated_with_bom_and_quoted_commas(self) -> None:
        text = '\ufeffName;E-posta;Rezervasyon\n"Demir, Ali";ali@example.com;R-1\n'
        preview = import_inspect(csv_file(text))
        assert preview.headers == ["Name", "E-posta", "Rezervasyon"]
        assert preview.rows == [["Demir, Ali", "ali@example.com", "R-1"]]

    def test_excel_unicode_text_is_utf16_with_tabs(self) -> None:
        text = "\ufeffVardas\tEl. paštas\tRezervacija\r\nŽygimantas\tzyg@example.lt\tLT-9\r\n"
        preview = import_inspect(csv_file(text, name="list.txt", encoding="utf-16-le"))
        assert preview.headers == ["Vardas", "El. paštas", "Rezervacija"]
        assert preview.rows == [["Žygimantas", "zyg@example.lt", "LT-9"]]

    def test_preview_holds_the_first_five_rows_and_skips_blank_ones(self) -> None:
        body = "\n".join(f"n{i},e{i}@example.com,R{i}" for i in range(8))
        preview = import_inspect(csv_file(f"Name,Email,Ref\n\n{body}\n"))
        assert [row[2] for row in preview.rows] == ["R0", "R1", "R2", "R3", "R4"]

    def test_xlsx_first_sheet_with_dates_and_numbers(self) -> None:
        file = xlsx_file(
            [
                ["Name", "Email", "Phone", "Booking", "Departure"],
                ["Sara", "sara@example.com", 905321234567, 1234, NAIVE_DAY],
            ]
        )
        preview = import_inspect(file)
        assert preview.kind == "xlsx"
        assert preview.rows == [["Sara", "sara@example.com", "905321234567", "1234", "2025-07-14"]]

    @pytest.mark.parametrize(
        ("content", "name", "message"),
        [
            (b"", "x.csv", "The file is empty."),
            (b"\xd0\xcf\x11\xe0rest", "old.xls", "old Excel file"),
            (b"not a zip", "x.xlsx", "not a valid XLSX"),
            (b"Name,Email\n\xff\xfe\xfa broken", "x.csv", "not UTF-8"),
            (b"\n\n", "x.csv", "no rows"),
        ],
    )
    def test_unreadable_files_are_refused_with_a_reason(
        self, content: bytes, name: str, message: str
    ) -> None:
        with pytest.raises(DomainError, match=message) as caught:
            import_inspect(SimpleUploadedFile(name, content))
        assert caught.value.field == "file"

    def test_file_over_20_mb_is_refused(self) -> None:
        big = SimpleUploadedFile("big.csv", b"a" * (20 * 1024 * 1024 + 1))
        with pytest.raises(DomainError, match="larger than 20 MB"):
            import_create(file=big, actor=None)
        assert CustomerImport.objects.count() == 0


class TestGuessMapping:
    def test_english_headers(self) -> None:
        headers = [
            "Passenger name",
            "Email address",
            "Mobile",
            "Booking ref",
            "Ship",
            "Departure date",
            "Tags",
        ]
        assert guess_mapping(headers) == {
            "name": "Passenger name",
            "email": "Email address",
            "phone": "Mobile",
            "reference": "Booking ref",
            "ship": "Ship",
            "departure_date": "Departure date",
            "tags": "Tags",
        }

    def test_turkish_headers(self) -> None:
        headers = [
            "Ad Soyad",
            "E-posta",
            "Cep Telefonu",
            "Dil",
            "Rezervasyon No",
            "Gemi",
            "Kalkış Tarihi",
            "Rota",
        ]
        assert guess_mapping(headers) == {
            "name": "Ad Soyad",
            "email": "E-posta",
            "phone": "Cep Telefonu",
            "language": "Dil",
            "reference": "Rezervasyon No",
            "ship": "Gemi",
            "route": "Rota",
            "departure_date": "Kalkış Tarihi",
        }

    def test_lithuanian_headers(self) -> None:
        headers = [
            "Vardas, pavardė",
            "El. paštas",
            "Telefonas",
            "Kalba",
            "Užsakymo Nr.",
            "Laivas",
            "Išvykimo data",
        ]
        assert guess_mapping(headers) == {
            "name": "Vardas, pavardė",
            "email": "El. paštas",
            "phone": "Telefonas",
            "language": "Kalba",
            "reference": "Užsakymo Nr.",
            "ship": "Laivas",
            "departure_date": "Išvykimo data",
        }

    def test_persian_headers(self) -> None:
        headers = ["نام", "ایمیل", "تلفن همراه", "زبان", "شماره رزرو", "کشتی", "تاریخ حرکت"]
        assert guess_mapping(headers) == {
            "name": "نام",
            "email": "ایمیل",
            "phone": "تلفن همراه",
            "language": "زبان",
            "reference": "شماره رزرو",
            "ship": "کشتی",
            "departure_date": "تاریخ حرکت",
        }

    def test_one_header_is_guessed_for_one_field_only(self) -> None:
        assert guess_mapping(["Email", "Email"]) == {"email": "Email"}
        assert guess_mapping(["Colour", ""]) == {}


class TestValidateMapping:
    @pytest.mark.parametrize(
        ("mapping", "field"),
        [
            ({"email": "E-mail"}, "reference"),
            ({"reference": "Booking", "name": "Full name"}, "email"),
            ({"reference": "Booking", "email": "Nope"}, "email"),
            ({"reference": "Booking", "email": "E-mail", "colour": "x"}, "colour"),
            ({"reference": "Booking", "email": "E-mail", "phone_region": "XX"}, "phone_region"),
            (
                {"reference": "Booking", "email": "E-mail", "default_language": "de"},
                "default_language",
            ),
        ],
    )
    def test_unusable_mapping_names_its_field(self, mapping: dict[str, str], field: str) -> None:
        with pytest.raises(DomainError) as caught:
            validate_mapping(mapping, headers=HEADER.split(","))
        assert caught.value.field == field


class TestRun:
    def test_rows_become_customers_and_bookings(self) -> None:
        upload = run(
            csv_file(
                f"{HEADER}\n"
                "Elif Yılmaz,Elif@Example.com,0532 123 45 67,tr-TR,AB1,Ege Star,14.07.2025,"
                "VIP; Family\n"
                "Jonas,jonas@example.lt,,LT,AB2,Ege Star,15/07/2025,\n"
            ),
            {**MAPPING, "phone_region": "TR"},
        )
        assert (upload.status, upload.total_rows, upload.accepted, upload.rejected) == (
            ImportStatus.DONE,
            2,
            2,
            0,
        )
        elif_ = Customer.objects.get(identities__value="elif@example.com")
        assert (elif_.name, elif_.language) == ("Elif Yılmaz", "tr")
        assert set(elif_.identities.values_list("kind", "value")) == {
            ("email", "elif@example.com"),
            ("phone", "+905321234567"),
        }
        booking = Booking.objects.get(reference="AB1")
        assert (
            booking.customer,
            booking.ship,
            booking.departure_date,
            booking.tags,
            booking.source,
        ) == (elif_, "Ege Star", date(2025, 7, 14), ["vip", "family"], upload)
        assert Booking.objects.get(reference="AB2").departure_date == date(2025, 7, 15)
        assert Customer.objects.get(identities__value="jonas@example.lt").language == "lt"

    def test_rejected_rows_carry_their_row_number_and_every_reason(self) -> None:
        upload = run(
            csv_file(
                f"{HEADER}\n"
                "Good,good@example.com,,en,G1,Ege Star,2025-07-14,\n"
                "No ref,noref@example.com,,en,,Ege Star,2025-07-14,\n"
                "Bad,not-an-email,12,en,B1,Ege Star,07/14/2025,\n"
                "Nobody,,,en,N1,Ege Star,,\n"
            )
        )
        assert (upload.total_rows, upload.accepted, upload.rejected) == (4, 1, 3)
        assert [(r["row"], r["reasons"]) for r in upload.report] == [
            (3, [{"field": "reference", "message": "The booking reference is missing."}]),
            (
                4,
                [
                    {"field": "email", "message": "Enter a valid email address."},
                    {
                        "field": "phone",
                        "message": (
                            "Enter a phone number with its country code, e.g. +44 20 7946 0958."
                        ),
                    },
                    {
                        "field": "departure_date",
                        "message": "“07/14/2025” is not a date (write 2025-07-14 or 14.07.2025).",
                    },
                ],
            ),
            (5, [{"field": "email", "message": "An email address or a phone number is needed."}]),
        ]
        assert dict(upload.report[1]["values"])["E-mail"] == "not-an-email"
        assert Booking.objects.count() == 1

    def test_unknown_language_falls_back_to_the_default_without_rejecting(self) -> None:
        run(
            csv_file(f"{HEADER}\nX,x@example.com,,klingon,K1,,,\n"),
            {**MAPPING, "default_language": "fa"},
        )
        assert Customer.objects.get().language == "fa"

    def test_importing_the_same_file_again_creates_nothing_new(self) -> None:
        text = (
            f"{HEADER}\nA,a@example.com,+905321234567,en,R1,Ege Star,2025-07-14,x\n"
            "A again,a@example.com,,en,R2,Ege Star,2025-07-14,\n"
            "A,a@example.com,,en,R1,Ege Star,2025-07-15,\n"
        )
        first = run(csv_file(text))
        counts = (Customer.objects.count(), Identity.objects.count(), Booking.objects.count())
        second = run(csv_file(text))
        assert counts == (1, 2, 2)
        assert (
            Customer.objects.count(),
            Identity.objects.count(),
            Booking.objects.count(),
        ) == counts
        assert (first.accepted, second.accepted) == (3, 3)
        # The last row of a repeated booking wins, and the booking now belongs to the new list.
        booking = Booking.objects.get(reference="R1")
        assert (booking.departure_date, booking.source) == (date(2025, 7, 15), second)

    def test_existing_customer_is_found_by_email_and_keeps_their_language(self) -> None:
        customer = CustomerFactory(email="known@example.com", language="lt", name="Known")
        run(csv_file(f"{HEADER}\nOther Name,KNOWN@example.com,,tr,K1,,,\n"))
        assert Customer.objects.count() == 1
        customer.refresh_from_db()
        assert (customer.name, customer.language) == ("Known", "lt")
        assert customer.bookings.get().reference == "K1"

    def test_unmapped_booking_fields_keep_their_value_on_reimport(self) -> None:
        run(csv_file(f"{HEADER}\nA,a@example.com,,en,R1,Ege Star,2025-07-14,\n"))
        run(
            csv_file("Email,Booking\na@example.com,R1\n"),
            {"email": "Email", "reference": "Booking"},
        )
        assert Booking.objects.get().ship == "Ege Star"

    def test_xlsx_import_with_real_dates(self) -> None:
        upload = run(
            xlsx_file(
                [
                    ["Full name", "E-mail", "Booking", "Departure"],
                    ["Sara", "sara@example.com", "X1", NAIVE_DAY],
                    [None, None, None, None],
                    ["Bad", "bad", "X2", "soon"],
                ]
            ),
            {
                "name": "Full name",
                "email": "E-mail",
                "reference": "Booking",
                "departure_date": "Departure",
            },
        )
        assert (upload.accepted, upload.rejected) == (1, 1)
        assert upload.report[0]["row"] == 4
        assert Booking.objects.get().departure_date == date(2025, 7, 14)

    def test_imported_list_is_a_segment_linked_to_its_incident(self) -> None:
        from calmdesk.incidents.models import Incident

        incident = Incident.objects.create(slug="ship-fire")
        upload = run(
            csv_file(f"{HEADER}\nA,a@example.com,,en,R1,,,\nB,b@example.com,,en,R2,,,\n"),
            incident=incident,
        )
        assert upload.incident == incident
        assert customers_in_segment({"import": upload.pk}).count() == 2

    def test_progress_is_reported_per_batch(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("calmdesk.customers.imports.BATCH_SIZE", 2)
        rows = "".join(f"P{i},p{i}@example.com,,en,R{i},,,\n" for i in range(5))
        steps: list[int] = []
        upload = run(csv_file(f"{HEADER}\n{rows}"), progress=steps.append)
        assert steps == [2, 2, 1]
        assert upload.accepted == 5

    def test_report_is_capped_but_every_rejection_counted(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr("calmdesk.customers.imports.MAX_REPORTED", 3)
        rows = "".join(f"P{i},bad{i},,en,R{i},,,\n" for i in range(5))
        upload = run(csv_file(f"{HEADER}\n{rows}"))
        assert (upload.rejected, len(upload.report)) == (5, 3)

    def test_file_without_a_mapped_column_fails_with_the_reason(self) -> None:
        upload = run(
            csv_file("Name,Email\nA,a@example.com\n"), {"email": "Email", "reference": "Ref"}
        )
        assert upload.status == ImportStatus.FAILED
        assert upload.report == [
            {
                "row": None,
                "reasons": [{"field": "file", "message": "The file has no column “Ref”."}],
            }
        ]


def test_rejected_rows_download_has_the_original_columns_and_reasons() -> None:
    upload = run(csv_file(f"{HEADER}\nBad,=cmd(),+90 532 123 45 67,en,,,,\n"))
    lines = "".join(rejected_rows_csv(upload)).lstrip("\ufeff").splitlines()
    assert lines[0] == f"{HEADER},Row,Reasons"
    assert lines[1] == (
        "Bad,'=cmd(),+90 532 123 45 67,en,,,,,2,"
        "reference: The booking reference is missing.; email: Enter a valid email address."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-07-14", date(2025, 7, 14)),
        ("2025-07-14 00:00:00", date(2025, 7, 14)),
        ("14.07.2025", date(2025, 7, 14)),
        ("4/7/2025", date(2025, 7, 4)),
    ],
)
def test_departure_date_formats(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_import_customers_command_guesses_or_takes_the_columns(tmp_path: Any) -> None:
    from django.core.management import call_command

    from calmdesk.incidents.models import Incident

    incident = Incident.objects.create(slug="ship-fire")
    path = tmp_path / "yolcular.csv"
    path.write_text("PNR;Yolcu;E-posta\nR1;Elif;elif@example.com\nR2;Ali;bad\n", encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import_customers",
        str(path),
        "--map",
        "reference=PNR,name=Yolcu,email=E-posta",
        "--incident",
        "ship-fire",
        stdout=out,
        verbosity=0,
    )
    assert "2 rows, 1 accepted, 1 rejected." in out.getvalue()
    assert "row 3: email: Enter a valid email address." in out.getvalue()
    assert CustomerImport.objects.get().incident == incident
    call_command("import_customers", str(path), stdout=io.StringIO(), verbosity=0)
    assert Booking.objects.get().customer.name == "Elif"

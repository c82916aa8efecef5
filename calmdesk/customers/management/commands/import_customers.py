"""Import a list of affected customers and bookings (CSV or XLSX) from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from calmdesk.core.errors import DomainError
from calmdesk.customers.imports import guess_mapping, import_create, import_run
from calmdesk.customers.models import ImportStatus
from calmdesk.incidents.models import Incident


def parse_map(text: str) -> dict[str, str]:
    """``name=Full name,email=E-mail`` → {"name": "Full name", "email": "E-mail"}."""
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, sep, column = part.partition("=")
        if not sep:
            raise CommandError(f"--map: expected field=Column, got {part!r}")
        mapping[key.strip()] = column.strip()
    return mapping


class Command(BaseCommand):
    help = (
        "Import affected customers and their bookings from a CSV or XLSX file. Without --map "
        "the columns are guessed from their names. Importing the same file again creates "
        "nothing new."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .csv, .txt (UTF-8/UTF-16) or .xlsx file")
        parser.add_argument(
            "--map",
            default="",
            help="Our field=the file's column, comma-separated, e.g. "
            "'name=Full name,email=E-mail,reference=PNR,departure_date=Date'",
        )
        parser.add_argument("--incident", default="", help="The slug of the incident")
        parser.add_argument("--region", default="", help="Country of phones without a code")
        parser.add_argument("--language", default="", help="Language when the list has none")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        incident = None
        if options["incident"]:
            incident = Incident.objects.filter(slug=options["incident"]).first()
            if incident is None:
                raise CommandError(f"No incident {options['incident']!r}")
        try:
            with path.open("rb") as handle:
                upload, preview = import_create(
                    file=File(handle, name=path.name), actor=None, incident=incident
                )
            mapping = (
                parse_map(options["map"]) if options["map"] else guess_mapping(preview.headers)
            )
            if options["region"]:
                mapping["phone_region"] = options["region"]
            if options["language"]:
                mapping["default_language"] = options["language"]
            self.stdout.write(f"Columns: {mapping}")
            with tqdm(unit=" rows", desc=path.name, disable=options["verbosity"] == 0) as bar:
                upload = import_run(upload=upload, mapping=mapping, actor=None, progress=bar.update)
        except DomainError as exc:
            where = f" ({exc.field})" if exc.field else ""
            raise CommandError(f"{exc.message}{where}") from exc
        if upload.status == ImportStatus.FAILED:
            reasons = "; ".join(r["message"] for e in upload.report for r in e["reasons"])
            raise CommandError(f"Import failed: {reasons}")
        self.stdout.write(
            f"Import #{upload.pk}: {upload.total_rows} rows, {upload.accepted} accepted, "
            f"{upload.rejected} rejected."
        )
        for entry in upload.report[:20]:
            reasons = "; ".join(f"{r['field']}: {r['message']}" for r in entry["reasons"])
            self.stdout.write(f"  row {entry['row']}: {reasons}")

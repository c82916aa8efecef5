"""SQLite: inserting a submission moves the ticket table's AUTOINCREMENT counter.

A submission's id is the ticket id reserved for it (``inbox.services._insert``). PostgreSQL
takes it from the ticket table's sequence with ``nextval``; on SQLite the INSERT reads the
counter (``sqlite_sequence``) and this trigger moves it in the same statement, so the next
ticket another channel opens gets the id after it, and the write stays one statement.
"""

from django.db import migrations

TRIGGER = "inbox_submission_reserves_ticket_id"

CREATE = f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT ON inbox_submission
BEGIN
    UPDATE sqlite_sequence SET seq = NEW.id WHERE name = 'tickets_ticket' AND seq < NEW.id;
    INSERT INTO sqlite_sequence (name, seq) SELECT 'tickets_ticket', NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tickets_ticket');
END
"""


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0002_submission"),
        ("tickets", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]

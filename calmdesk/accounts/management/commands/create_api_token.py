"""manage.py create_api_token --user <username> --name <name>: prints the raw key once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from calmdesk.accounts.permissions import is_agent
from calmdesk.api.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print its key. Only a hash is stored: "
        "the key cannot be shown again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", required=True, help="The username the token acts as.")
        parser.add_argument("--name", required=True, help="What the token is for.")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("--name must not be empty.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user named {options['user']!r}.")
        if not is_agent(user):
            self.stderr.write(
                self.style.WARNING(
                    f"{user.get_username()} is not an active agent or superuser: "
                    "the API will answer 403 until they are."
                )
            )
        token, raw = api_token_create(user=user, name=name)
        self.stderr.write(
            f"Created token {token.prefix}… ({token.name}) for {user.get_username()}."
        )
        self.stderr.write("Store this key now; it cannot be shown again:")
        self.stdout.write(raw)

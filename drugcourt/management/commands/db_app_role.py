import os

from django.core.management.base import BaseCommand
from django.db import connection

from drugcourt.append_only import APP_ROLE, grant_app_role


class Command(BaseCommand):
    help = (
        "Creates or refreshes the database role the application connects as in production: "
        "it reads and writes every table but only appends to history and the access log "
        "(docs/decisions/0018). Run as the database owner; migrate refreshes it afterwards."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--role", default=APP_ROLE, help=f"default {APP_ROLE}")
        parser.add_argument(
            "--password-env",
            help="the environment variable holding the role's password (never on the command "
            "line); without it the role keeps the password it has",
        )

    def handle(self, *args, role: str, password_env: str | None, **options) -> None:
        password = os.environ.get(password_env) if password_env else None
        if password_env and not password:
            self.stderr.write(f"{password_env} is empty: the password is left as it was.")
        grant_app_role(connection, role, password=password)
        self.stdout.write(self.style.SUCCESS(f"Role {role} may append to history, not rewrite it."))

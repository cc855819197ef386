from django.core.management.base import BaseCommand, CommandError

from clients.reconcile import access_drift, access_repair


class Command(BaseCommand):
    help = (
        "Recomputes participant access rows from team assignments, program membership and "
        "every registered access source; reports drift, or repairs it with --fix."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--fix", action="store_true", help="Repair the drift found.")

    def handle(self, *args, fix: bool = False, **options) -> None:
        drift = access_repair() if fix else access_drift()
        for kind, holder, participant, role in sorted(drift.missing):
            self.stdout.write(f"missing: {kind} {holder} → participant {participant} as {role}")
        for kind, holder, participant, role in sorted(drift.extra):
            self.stdout.write(f"extra:   {kind} {holder} → participant {participant} as {role}")
        for user in drift.users_with_wrong_program_groups:
            self.stdout.write(f"program groups out of date: {user.username}")
        if drift.is_clean:
            self.stdout.write(self.style.SUCCESS("Access rows match their sources."))
        elif fix:
            self.stdout.write(self.style.SUCCESS("Repaired the drift above."))
        else:
            raise CommandError("Access rows drift from their sources; run with --fix to repair.")

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from drugcourt.demo import seed_demo


class Command(BaseCommand):
    help = "Loads the demo program and staff (idempotent; password from DEMO_PASSWORD)."

    def handle(self, *args, **options) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "seed_demo refuses to run with production settings: it makes accounts with a "
                "known password. Use drugcourt.settings.dev (make run) or .test."
            )
        seed_demo(password=settings.DEMO_PASSWORD)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

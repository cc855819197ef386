from django.conf import settings
from django.core.management.base import BaseCommand

from drugcourt.demo import seed_demo


class Command(BaseCommand):
    help = "Loads the demo program and staff (idempotent; password from DEMO_PASSWORD)."

    def handle(self, *args, **options) -> None:
        seed_demo(password=settings.DEMO_PASSWORD)
        self.stdout.write(self.style.SUCCESS("Demo data is in place."))

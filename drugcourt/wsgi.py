"""WSGI entry point (gunicorn drugcourt.wsgi). Without DJANGO_SETTINGS_MODULE it runs the
production settings, which refuse to start without their secrets: a server started bare never
runs with debug on and a known key. `make run` uses runserver with the development settings."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drugcourt.settings.production")

application = get_wsgi_application()

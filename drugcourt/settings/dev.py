"""Local development (`make run`): debug on, console e-mail, a fixed non-secret key.

`make run` always provides DATABASE_URL and REDIS_URL (embedded servers when unset). For
`manage.py` typed by hand, they default to the usual local servers, so commands such as
`makemigrations --check` work without the launcher; nothing is started here."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/drugcourt")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-not-secret-" + "x" * 40)
DEBUG = env.bool("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
DEMO_DATA_ALLOWED = True

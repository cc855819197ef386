"""Settings shared by every environment. Values come from the environment (django-environ).

Settings never start servers: the launchers (`make run`, `make test`) provide DATABASE_URL and
REDIS_URL, starting embedded servers when they are unset (see drugcourt/launcher.py).
"""

from pathlib import Path
from urllib.parse import urlsplit

import environ
import pgtrigger
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "guardian",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drugcourt",
    "clients",
    "assessments",
    "treatment_plans",
    "compliance",
    "court",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "drugcourt.timezones.ProgramTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle sessions end first; a live one then needs its second factor (drugcourt.security).
    "drugcourt.security.IdleTimeoutMiddleware",
    "drugcourt.security.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    # Logs the participants each request showed, after the pages below (the withheld page
    # too), before the response leaves; fails the request closed when it cannot.
    "clients.middleware.AccessLogMiddleware",
    # Answers a page of Part 2 information no consent covers (clients.access.Withheld).
    "clients.middleware.WithheldMiddleware",
    # Last, as django-axes asks: it answers locked-out sign-ins.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "drugcourt.urls"
WSGI_APPLICATION = "drugcourt.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "drugcourt.context_processors.navigation",
                "drugcourt.context_processors.session_clock",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
# JIT compilation costs ~260 ms on queries whose estimates look big and run in milliseconds
# (bench/caseload_explain.py); the web's short queries never gain from it.
# The history triggers (pghistory through pgtrigger) read pgtrigger.ignore on every row; while
# it is unset they raise and catch an error each time, which made a draw of 11,000 tests take
# 8 s instead of under 2 s. "Ignore no trigger" by default keeps every history row.
DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off -c pgtrigger.ignore={}"}


def redis_urls(url: str, *, db: int | None = None) -> tuple[str, str]:
    """(redis-py URL, Celery/kombu URL) for REDIS_URL, optionally on another database number.

    The embedded Redis listens on a Unix socket; redis-py spells that `unix://` and kombu
    `redis+socket://`, so the one REDIS_URL is translated here for each client.
    """
    parts = urlsplit(url)
    if parts.scheme in ("unix", "redis+socket"):
        number = db if db is not None else 0
        return (
            f"unix://{parts.path}?db={number}",
            f"redis+socket://{parts.path}?virtual_host={number}",
        )
    path_db = parts.path.strip("/") or "0"
    number = db if db is not None else int(path_db)
    tcp = parts._replace(path=f"/{number}").geturl()
    return tcp, tcp


REDIS_URL = env("REDIS_URL")
REDIS_CACHE_URL, REDIS_BROKER_URL = redis_urls(REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
        "KEY_PREFIX": "drugcourt",
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "drugcourt.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No anonymous user row: nobody signed out ever holds a permission (DESIGN.md, access).
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3  # a set-password link lasts three days

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# A session lasts at most one working day, and ends sooner after SESSION_IDLE_TIMEOUT seconds
# without a request (drugcourt.security): per role where SESSION_IDLE_TIMEOUT_BY_ROLE names it
# (environment: "judge=1800;clerk=1800"), the shortest of a person's roles. Pages warn
# SESSION_IDLE_WARNING seconds before the end; the bench's docket and hearing pages of a session
# held today keep it alive every SESSION_KEEP_ALIVE seconds while they are open.
SESSION_COOKIE_AGE = 60 * 60 * 10
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_TIMEOUT = env.int("SESSION_IDLE_TIMEOUT", default=15 * 60)
SESSION_IDLE_TIMEOUT_BY_ROLE: dict[str, int] = env.dict(
    "SESSION_IDLE_TIMEOUT_BY_ROLE", cast={"value": int}, default={}
)
SESSION_IDLE_WARNING = 2 * 60
SESSION_KEEP_ALIVE = 5 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Two factors (django-otp): an authenticator app's TOTP, and backup codes; every account passes
# them at sign-in (docs/decisions/0016-account-security.md).
OTP_TOTP_ISSUER = "drugcourt"
TWO_FACTOR_BACKUP_CODES = 10

# Reads change nothing; only writes carry the actor and URL into pghistory's context.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# History triggers run once per statement over its transition tables, not once per row: set-based
# sweeps change thousands of rows in one statement (bench/sweeps.py).
# django-stubs loads the settings before pgtrigger is typed: mypy cannot see the constant.
PGHISTORY_LEVEL = pgtrigger.Statement  # type: ignore[has-type]

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded documents are protected health information: they live outside STATIC and are only
# ever served through views that check access, never from a public media URL.
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "var" / "media")
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="drugcourt@localhost")
# How participants are told they are called for a drug test today (compliance.notifications):
# ConsoleSender, FileSender (appends to TEST_NOTICE_FILE) or EmailSender, or an SMS adapter.
TEST_NOTICE_SENDER = env("TEST_NOTICE_SENDER", default="compliance.notifications.ConsoleSender")
TEST_NOTICE_FILE = env.path("TEST_NOTICE_FILE", default=BASE_DIR / "var" / "test-notices.jsonl")
# Where links in e-mails point (no request is at hand in a Celery task).
SITE_URL = env("DJANGO_SITE_URL", default="http://127.0.0.1:8000")

# Celery: Redis is both broker and result store. Tasks are thin, idempotent and take PKs.
CELERY_BROKER_URL = REDIS_BROKER_URL
CELERY_RESULT_BACKEND = REDIS_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# Retry defaults every task uses through drugcourt.celery.TASK_RETRY_POLICY.
CELERY_TASK_MAX_RETRIES = env.int("CELERY_TASK_MAX_RETRIES", default=5)
CELERY_TASK_RETRY_BACKOFF_MAX = env.int("CELERY_TASK_RETRY_BACKOFF_MAX", default=600)
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "drugcourt.tasks.heartbeat_task", "schedule": 60.0},
    "referral-sweep": {
        "task": "treatment_plans.tasks.referral_sweep_task",
        "schedule": crontab(minute=5),  # hourly
    },
    "plan-review-sweep": {
        "task": "treatment_plans.tasks.plan_review_sweep_task",
        "schedule": crontab(minute=15, hour=6),  # daily, before the working day (UTC)
    },
    # Monitoring (compliance.tasks). Minutes are offset so the sweeps do not start together;
    # the missed-test sweep follows each testing tick by a few minutes.
    "testing-tick": {
        "task": "compliance.tasks.testing_tick_task",
        "schedule": crontab(minute="*/15"),
    },
    "drug-tests-missed-sweep": {
        "task": "compliance.tasks.drug_tests_missed_sweep_task",
        "schedule": crontab(minute="4,19,34,49"),
    },
    "results-overdue-sweep": {
        "task": "compliance.tasks.results_overdue_sweep_task",
        "schedule": crontab(minute=23),  # hourly
    },
    "appointments-unrecorded-sweep": {
        "task": "compliance.tasks.appointments_unrecorded_sweep_task",
        "schedule": crontab(minute=38),  # hourly
    },
    "appointments-missed-sweep": {
        "task": "compliance.tasks.appointments_missed_sweep_task",
        "schedule": crontab(minute=42),  # hourly
    },
    "access-log-partitions": {
        "task": "clients.tasks.access_log_partitions_task",
        "schedule": crontab(minute=10, hour=3),  # daily; it makes a month's partition ahead
    },
    "noncompliance-sweep": {
        "task": "compliance.tasks.noncompliance_sweep_task",
        "schedule": crontab(minute=53),  # hourly, after the missed-test sweep of minute 49
    },
    "consents-expiring-sweep": {
        "task": "clients.tasks.consents_expiring_sweep_task",
        "schedule": crontab(minute=25, hour=6),  # daily, before the working day (UTC)
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

DEMO_PASSWORD = env("DEMO_PASSWORD", default="drugcourt-demo")
# `seed_demo` makes accounts with a known password: only development and test settings allow it.
DEMO_DATA_ALLOWED = False

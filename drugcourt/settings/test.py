"""Tests: real PostgreSQL and Redis, on a Redis database number of their own (never the app's)."""

from .base import *  # noqa: F403
from .base import CACHES, REDIS_URL, env, redis_urls

SECRET_KEY = "test-only-not-secret-" + "x" * 40
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

TEST_REDIS_DB = env.int("TEST_REDIS_DB", default=9)
REDIS_CACHE_URL, REDIS_BROKER_URL = redis_urls(REDIS_URL, db=TEST_REDIS_DB)
CACHES["default"]["LOCATION"] = REDIS_CACHE_URL
CACHES["default"]["KEY_PREFIX"] = "drugcourt-test"
CELERY_BROKER_URL = REDIS_BROKER_URL
CELERY_RESULT_BACKEND = REDIS_BROKER_URL

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
DEMO_DATA_ALLOWED = True

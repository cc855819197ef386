"""Browser fixtures for tests/e2e: Debian's chromium, signing in without a password, axe.

Every test here is marked `e2e`. Tests use pytest-django's `live_server` (which brings
`transactional_db`) and pytest-playwright's `page`/`new_context`, launched on /usr/bin/chromium
(`make browser` installs it; Playwright cannot download browsers on these machines).
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client
from playwright.sync_api import Error as PlaywrightError

# The live server runs in a thread while the sync Playwright API runs an event loop in the
# test's thread; Django would otherwise refuse ORM calls from the test as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root in containers, where the sandbox cannot start
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
E2E_DIR = Path(__file__).parent
# Axe findings of these impacts fail a test; "moderate" and "minor" are left to review.
BLOCKING_IMPACTS = ("critical", "serious")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if E2E_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options (--headed, --slowmo) on Debian's chromium."""
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser(launch_browser):
    """pytest-playwright's browser, but a browser that cannot start skips the e2e tests on a
    developer's machine and fails them on CI (CI=true), where a skip would hide a broken suite.
    """
    try:
        launched = launch_browser()
    except PlaywrightError as error:
        reason = error.message.splitlines()[0]
    else:
        yield launched
        launched.close()
        return
    message = (
        f"Cannot start chromium at {CHROMIUM} ({reason}). "
        "Install it with `make browser` (scripts/install-browser.sh)."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true: the browser tests must run. {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def sign_in(live_server):
    """`sign_in(page, user)`: signs `user` in on `page`'s browser context without a password
    or second factor, by handing the browser the cookie of a session Django made for them."""

    def sign_in_as(page, user):
        client = Client()
        # The backend a real sign-in records (axes' backend only guards, it signs nobody in).
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session_cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": session_cookie.value,
                    "url": live_server.url,
                    "httpOnly": settings.SESSION_COOKIE_HTTPONLY,
                    "sameSite": settings.SESSION_COOKIE_SAMESITE or "Lax",
                }
            ]
        )
        return page

    return sign_in_as


def _assert_accessible(page):
    """Fails when axe finds critical or serious accessibility violations on `page`."""
    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        lines = [f"{len(blocking)} critical/serious accessibility violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(
                f"- {violation['id']} ({violation['impact']}): {violation['help']} "
                f"[{violation['helpUrl']}]"
            )
            lines.extend(
                f"    at {', '.join(map(str, node['target']))}: {node['html'][:200]}"
                for node in violation["nodes"]
            )
        pytest.fail("\n".join(lines), pytrace=False)


@pytest.fixture
def assert_accessible():
    """`assert_accessible(page)`: fails on critical or serious axe violations on the page."""
    return _assert_accessible

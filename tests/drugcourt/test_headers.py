"""Headers (issue 19): a CSP with nonces that no template needs to loosen, and production settings
that pass Django's deploy checks (secure cookies, HSTS, SSL redirect, no demo mode)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from drugcourt.launcher import PROJECT_DIR, production_check_env

TEMPLATE_DIRS = [PROJECT_DIR / "templates", *PROJECT_DIR.glob("*/templates")]
# What the CSP (script-src 'self' 'nonce-…', style-src 'self') would block, or only allow by
# loosening it: inline scripts (a script tag without src; data goes in through the json_script
# filter, which renders a JSON script tag), style tags and attributes, event handler attributes
# (htmx's hx-on too: it evaluates code), javascript: links.
INLINE = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "script without nonce": re.compile(r"<script\b(?![^>]*\bnonce=)[^>]*>", re.IGNORECASE),
    "style tag": re.compile(r"<style\b", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "event handler": re.compile(r"<[a-z][^>]*\s(on[a-z]+|hx-on\S*)\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def templates() -> list[Path]:
    return sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))


def test_the_scan_sees_every_apps_templates():
    folders = {path.relative_to(PROJECT_DIR).parts[0] for path in templates()}
    assert {"templates", "drugcourt", "clients", "court", "compliance"} <= folders


@pytest.mark.parametrize("kind", INLINE)
def test_no_template_has_inline_script_or_style(kind):
    found = [
        f"{path.relative_to(PROJECT_DIR)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in templates()
        for text in [path.read_text()]
        for match in INLINE[kind].finditer(text)
    ]
    assert found == [], f"{kind} (CSP forbids it; use a static file and json_script)"


def test_the_scan_catches_what_it_forbids():
    samples = {
        "inline script": '<script nonce="{{ request.csp_nonce }}">alert(1)</script>',
        "script without nonce": '<script src="/static/x.js"></script>',
        "style tag": "<style>p {}</style>",
        "style attribute": '<p class="x" style="color: red">',
        "event handler": '<button type="button" onclick="go()">',
        "javascript: URL": '<a href="javascript:go()">',
    }
    for kind, sample in samples.items():
        assert INLINE[kind].search(sample), kind
    assert not INLINE["inline script"].search('<script src="{% static "x.js" %}" nonce="n">')
    assert not INLINE["event handler"].search('<footer class="a">{% notice on=day %}</footer>')


def test_pages_carry_a_nonce_csp_and_every_script_has_its_nonce(client, casemanager):
    client.force_login(casemanager)

    response = client.get(reverse("home"))

    policy = response["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", policy)[1]
    assert "unsafe-inline" not in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    scripts = re.findall(r"<script\b[^>]*>", response.content.decode())
    assert scripts
    assert all(f'nonce="{nonce}"' in tag for tag in scripts)


def test_check_deploy_is_clean_with_production_settings():
    """Secure cookies, HSTS, SSL redirect, a real secret key, no DEBUG, no demo mode: Django's
    deploy checks and ours (drugcourt.security.check_no_demo_mode), warnings included."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT_DIR,
        # Without what the browser tests set in this process for the live server's thread.
        env={
            name: value
            for name, value in production_check_env().items()
            if name != "DJANGO_ALLOW_ASYNC_UNSAFE"
        },
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout

"""Account security (issue 19): two factors at sign-in, the idle timeout, and the deploy check.

Tests here sign in through the pages (password, then code) or with `force_login_unverified`,
never with the verified `force_login` the other tests use (tests/conftest.py).
"""

import datetime
import re
from base64 import b32decode

import pghistory.models
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from court.models import CourtSession
from drugcourt import services
from drugcourt.demo_codes import DEMO_BACKUP_CODES, DEMO_TOTP_KEY
from drugcourt.models import (
    SIGN_IN_UNLOCKED_EVENT,
    TWO_FACTOR_ENROLLED_EVENT,
    TWO_FACTOR_RESET_EVENT,
)
from drugcourt.security import check_no_demo_mode
from drugcourt.selectors import program_today
from tests.conftest import force_login_unverified

PASSWORD = "a long enough password 19"


@pytest.fixture(autouse=True)
def _passwords(casemanager, admin):
    for user in (casemanager, admin):
        user.set_password(PASSWORD)
        user.save()


def code_now(key_hex: str, *, at: datetime.datetime | None = None) -> str:
    totp = TOTP(bytes.fromhex(key_hex))
    if at is not None:
        totp.time = at.timestamp()
    return f"{totp.token():06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    key = TOTPDevice().key  # a random key, as the setup page makes
    enrolment = services.two_factor_enrol(user=user, key=key, code=code_now(key))
    return enrolment.device, enrolment.backup_codes


def sign_in_with_password(client, user, *, next_url=""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def participant_url(participant):
    return reverse("clients:participant_detail", args=[participant.pk])


# ---------------------------------------------------------------------------------------------
# Two factors


def test_a_first_sign_in_is_sent_to_set_up_two_factors_and_reaches_no_participant(
    client, casemanager, participant
):
    signed_in = sign_in_with_password(client, casemanager, next_url=participant_url(participant))
    assert signed_in.status_code == 302

    response = client.get(participant_url(participant), follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("two_factor_setup"))
    assert participant.legal_last_name not in response.content.decode()
    for url in (reverse("home"), reverse("clients:participant_list")):
        refused = client.get(url)
        assert refused.status_code == 302, url
        assert refused["Location"].startswith(reverse("two_factor_verify"))
    assert client.post(reverse("clients:participant_list")).status_code == 302


def test_setting_up_shows_the_key_then_a_code_confirms_it_and_backup_codes_show_once(
    client, casemanager, participant
):
    sign_in_with_password(client, casemanager)
    next_url = participant_url(participant)
    setup_url = f"{reverse('two_factor_setup')}?next={next_url}"

    page = client.get(setup_url).content.decode()
    key = re.search(r'data-testid="two-factor-key">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    assert f"otpauth://totp/drugcourt%3Acasemanager?secret={key}" in page
    assert 'src="data:image/svg+xml' in page  # the QR code
    assert client.get(setup_url).content.decode().count(key[:4] + " ") == 1  # the same key

    key_hex = b32decode(key).hex()
    wrong = client.post(setup_url, {"code": "000000" if code_now(key_hex) != "000000" else "1"})
    assert "That code is not right" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=casemanager).exists()

    confirmed = client.post(setup_url, {"code": code_now(key_hex), "next": next_url})

    codes = re.findall(r'<li class="col">([a-z2-7]{8})</li>', confirmed.content.decode())
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=casemanager, confirmed=True).key == key_hex
    assert set(StaticToken.objects.filter(device__user=casemanager).values_list("token", flat=True))
    assert client.get(next_url).status_code == 200
    assert client.get(setup_url).status_code == 302  # nothing more to set up
    assert pghistory.models.Events.objects.filter(
        pgh_label=TWO_FACTOR_ENROLLED_EVENT, pgh_obj_id=casemanager.pk
    ).exists()


def test_sign_in_asks_for_the_code_after_the_password(client, casemanager, participant):
    device, _ = enrolled(casemanager)
    later = timezone.now() + datetime.timedelta(minutes=1)  # past the code used to enrol

    with time_machine.travel(later, tick=False):
        sign_in_with_password(client, casemanager, next_url=participant_url(participant))
        asked = client.get(participant_url(participant))
        assert asked["Location"].startswith(reverse("two_factor_verify"))
        page = client.get(asked["Location"])
        assert "Enter your code" in page.content.decode()

        wrong = client.post(reverse("two_factor_verify"), {"code": "12345x"})
        assert "That code is not right" in wrong.content.decode()
        assert client.get(participant_url(participant)).status_code == 302

    # A wrong code makes the next try wait (django-otp's throttling): seconds later it is heard.
    with time_machine.travel(later + datetime.timedelta(seconds=30), tick=False):
        verified = client.post(
            reverse("two_factor_verify"),
            {"code": code_now(device.key), "next": participant_url(participant)},
        )
        assert verified["Location"] == participant_url(participant)
        assert client.get(participant_url(participant)).status_code == 200
        # The same code again (another session) is refused: a code counts once.
        again = Client()
        sign_in_with_password(again, casemanager)
        refused = again.post(reverse("two_factor_verify"), {"code": code_now(device.key)})
        assert "That code is not right" in refused.content.decode()


def test_a_backup_code_signs_in_once(client, casemanager, participant):
    _, codes = enrolled(casemanager)

    sign_in_with_password(client, casemanager)
    assert client.post(reverse("two_factor_verify"), {"code": codes[0]}).status_code == 302
    assert client.get(participant_url(participant)).status_code == 200
    client.post(reverse("logout"))

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=1)):
        sign_in_with_password(client, casemanager)
        refused = client.post(reverse("two_factor_verify"), {"code": codes[0]})
        assert "That code is not right" in refused.content.decode()
        assert client.get(participant_url(participant)).status_code == 302
        assert StaticToken.objects.filter(device__user=casemanager).count() == 9


def test_wrong_codes_lock_the_account_out_like_wrong_passwords(client, casemanager, settings):
    enrolled(casemanager)
    sign_in_with_password(client, casemanager)
    start = timezone.now() + datetime.timedelta(minutes=1)

    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # Minutes apart: django-otp's own throttling would refuse quicker tries unheard.
        with time_machine.travel(start + datetime.timedelta(minutes=attempt), tick=False):
            response = client.post(reverse("two_factor_verify"), {"code": "999999x"})

    # The last miss locks the account: the half-signed-in session ends, the password too is
    # refused until the cool-off.
    assert response.status_code == 429  # django-axes' lockout page
    assert "_auth_user_id" not in client.session
    with time_machine.travel(start + datetime.timedelta(minutes=6), tick=False):
        locked = sign_in_with_password(Client(), casemanager)
    assert locked.status_code == 429


def test_setting_up_a_second_device_is_refused(client, casemanager):
    """A stolen password cannot add the thief's phone to an account that has one."""
    device, _ = enrolled(casemanager)
    sign_in_with_password(client, casemanager)

    assert client.get(reverse("two_factor_setup"))["Location"].startswith(
        reverse("two_factor_verify")
    )
    key = TOTPDevice().key
    with pytest.raises(services.ValidationError):
        services.two_factor_enrol(user=casemanager, key=key, code=code_now(key))
    assert list(TOTPDevice.objects.filter(user=casemanager)) == [device]


def test_an_administrator_resets_a_lost_phone_and_ends_the_persons_sessions(
    client, admin, casemanager
):
    enrolled(casemanager)
    phone_lost = Client()
    phone_lost.force_login(casemanager)
    client.force_login(admin)
    page = client.get(reverse("core:staff_detail", args=[casemanager.pk])).content.decode()
    assert "Reset two-factor…" in page

    confirm = client.get(reverse("core:staff_two_factor_reset", args=[casemanager.pk]))
    assert "Reset the two-factor sign-in" in confirm.content.decode()
    done = client.post(reverse("core:staff_two_factor_reset", args=[casemanager.pk]))

    assert done.status_code == 302
    assert not TOTPDevice.objects.filter(user=casemanager).exists()
    assert not StaticDevice.objects.filter(user=casemanager).exists()
    assert phone_lost.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 200  # the administrator's own goes on
    event = pghistory.models.Events.objects.get(
        pgh_label=TWO_FACTOR_RESET_EVENT, pgh_obj_id=casemanager.pk
    )
    assert event.pgh_context["user"] == admin.pk
    # At the next sign-in the person sets up a new phone.
    sign_in_with_password(phone_lost, casemanager)
    verify = phone_lost.get(reverse("two_factor_verify"))
    assert verify["Location"].startswith(reverse("two_factor_setup"))


def test_an_administrator_cannot_reset_their_own_second_factor(client, admin):
    enrolled(admin)
    client.force_login(admin)

    response = client.post(reverse("core:staff_two_factor_reset", args=[admin.pk]))

    assert "Another administrator" in response.content.decode()
    assert TOTPDevice.objects.filter(user=admin).exists()


def test_administrators_need_the_second_factor_too(client, admin):
    force_login_unverified(client, admin)

    response = client.get(reverse("core:staff_list"))

    assert response["Location"].startswith(reverse("two_factor_verify"))


def test_demo_codes_work_only_where_demo_data_is_allowed(client, casemanager, settings):
    key = b32decode(DEMO_TOTP_KEY).hex()
    services.two_factor_demo_set(user=casemanager, key=key, codes=list(DEMO_BACKUP_CODES))

    settings.DEMO_DATA_ALLOWED = False
    assert services.two_factor_verify(user=casemanager, code=DEMO_BACKUP_CODES[0]) is None
    assert services.two_factor_verify(user=casemanager, code=code_now(key)) is None

    settings.DEMO_DATA_ALLOWED = True
    assert services.two_factor_verify(user=casemanager, code=DEMO_BACKUP_CODES[0]) is not None
    assert services.two_factor_verify(user=casemanager, code=DEMO_BACKUP_CODES[0]) is None
    # seed_demo (every `make run`) gives the used codes back.
    services.two_factor_demo_set(user=casemanager, key=key, codes=list(DEMO_BACKUP_CODES))
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5)):  # the miss's wait
        assert services.two_factor_verify(user=casemanager, code=DEMO_BACKUP_CODES[0]) is not None


def test_check_deploy_refuses_demo_mode(settings):
    settings.DEMO_DATA_ALLOWED = True
    assert [error.id for error in check_no_demo_mode(None)] == ["drugcourt.E001"]

    settings.DEMO_DATA_ALLOWED = False
    assert check_no_demo_mode(None) == []


# ---------------------------------------------------------------------------------------------
# Sessions


def test_an_idle_session_ends_and_sign_in_says_why(client, casemanager, participant, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(casemanager)
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert client.get(participant_url(participant)).status_code == 200  # activity
    with time_machine.travel(start + datetime.timedelta(minutes=28), tick=False):
        assert client.get(participant_url(participant)).status_code == 200  # 14 min since
    with time_machine.travel(start + datetime.timedelta(minutes=43, seconds=1), tick=False):
        expired = client.get(participant_url(participant))
        assert expired["Location"] == (
            f"{reverse('login')}?next=%2Fparticipants%2F{participant.pk}%2F"
        )
        page = client.get(expired["Location"]).content.decode()
    assert "signed out after 15 minutes without activity" in page
    assert client.get(participant_url(participant))["Location"].startswith(reverse("login"))


def test_idle_timeout_is_per_role_the_shortest_of_ones_roles(
    client, judge_casemanager, judge, settings
):
    settings.SESSION_IDLE_TIMEOUT_BY_ROLE = {"judge": 60 * 60}
    start = timezone.now()
    bench, both = Client(), Client()
    with time_machine.travel(start, tick=False):
        bench.force_login(judge)
        both.force_login(judge_casemanager)
    with time_machine.travel(start + datetime.timedelta(minutes=30), tick=False):
        assert bench.get(reverse("home")).status_code == 200
        assert both.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_the_warning_reads_the_clock_without_moving_it_and_stay_signed_in_moves_it(
    client, casemanager
):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.force_login(casemanager)
        page = client.get(reverse("home")).content.decode()
    assert 'data-idle-seconds-left="900"' in page
    assert 'id="idle-warning"' in page

    with time_machine.travel(start + datetime.timedelta(minutes=13), tick=False):
        assert client.get(reverse("session_status")).json() == {"seconds_left": 120}
        assert client.get(reverse("session_status")).json() == {"seconds_left": 120}
        assert client.post(reverse("session_status")).json() == {"seconds_left": 900}
    with time_machine.travel(start + datetime.timedelta(minutes=27), tick=False):
        assert client.get(reverse("home")).status_code == 200


def test_the_clock_is_written_at_most_once_a_minute(client, casemanager):
    client.force_login(casemanager)

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
        return sum('UPDATE "django_session"' in query["sql"] for query in queries)

    assert session_writes() == 0
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2)):
        assert session_writes() == 1
        assert session_writes() == 0


def test_the_bench_keeps_its_docket_alive_on_the_sessions_day(client, judge, coordinator, program):
    session = CourtSession.objects.create(
        program=program,
        held_on=program_today(program),
        courtroom="2B",
        judge=judge,
        created_by=coordinator,
    )
    docket = reverse("court:docket", args=[session.pk])
    client.force_login(judge)
    assert "<span hidden data-keep-alive>" in client.get(docket).content.decode()

    client.force_login(coordinator)  # not on the bench
    assert "<span hidden data-keep-alive>" not in client.get(docket).content.decode()

    session.held_on -= datetime.timedelta(days=1)
    session.save()
    client.force_login(judge)
    assert "<span hidden data-keep-alive>" not in client.get(docket).content.decode()


def test_an_administrator_unlocks_a_locked_out_account(client, admin, casemanager, settings):
    browser = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        browser.post(reverse("login"), {"username": "casemanager", "password": "not it at all"})
    assert sign_in_with_password(browser, casemanager).status_code == 429
    client.force_login(admin)
    detail = reverse("core:staff_detail", args=[casemanager.pk])
    assert "locked out after too many failed attempts" in client.get(detail).content.decode()

    unlocked = client.post(reverse("core:staff_unlock_sign_in", args=[casemanager.pk]))

    assert unlocked.status_code == 302
    assert "locked out" not in client.get(detail).content.decode()
    assert sign_in_with_password(browser, casemanager).status_code == 302
    event = pghistory.models.Events.objects.get(
        pgh_label=SIGN_IN_UNLOCKED_EVENT, pgh_obj_id=casemanager.pk
    )
    assert event.pgh_context["user"] == admin.pk

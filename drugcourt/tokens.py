"""Signed links for staff accounts: set-password links and e-mail change confirmations.

Both are Django's own machinery (PasswordResetTokenGenerator, django.core.signing), never
hand-rolled crypto. docs/decisions/0007-staff-account-safety.md says why each exists.
"""

from django.contrib.auth.tokens import PasswordResetTokenGenerator


class SetPasswordTokenGenerator(PasswordResetTokenGenerator):
    """Django's password-reset token, also bound to the account's roles: a link shown on screen
    while the account reached no participant stops working once it is granted a role that
    does (Django already binds it to the password, last sign-in and e-mail address)."""

    key_salt = "drugcourt.tokens.SetPasswordTokenGenerator"

    def _make_hash_value(self, user, timestamp: int) -> str:
        return super()._make_hash_value(user, timestamp) + ",".join(sorted(user.roles))


set_password_token_generator = SetPasswordTokenGenerator()

# django.core.signing salt of the e-mail change confirmation; the link lasts as long as a
# set-password link (PASSWORD_RESET_TIMEOUT).
EMAIL_CHANGE_SALT = "drugcourt.staff.email-change"

"""The demo accounts' second factor: seed_demo stores it and `make run` prints it. Plain constants,
so the launcher (which must not import settings or models) can print them. They verify only where
DEMO_DATA_ALLOWED (development and test settings); `check --deploy` refuses that setting."""

# One authenticator key for every demo account (add it once to an app), in base32 as apps take it.
DEMO_TOTP_KEY = "MRZHKZ3DN52XE5BNMRSW23ZNORXXI4BB"
# Backup codes: each works once per account, until the next seed_demo (`make run`) restores it.
DEMO_BACKUP_CODES = tuple(f"demo{number:04d}" for number in range(1, 11))

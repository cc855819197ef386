"""History cannot be rewritten: the pghistory event tables (and the access log) refuse UPDATE and
DELETE, whoever asks (docs/decisions/0018-audit-trail-and-access-log.md).

The protection is a plain PL/pgSQL row trigger, `drugcourt_refuse_rewrite()`, not a pgtrigger
trigger: the application sets `pgtrigger.ignore` on every connection (settings.base) and any
pgtrigger trigger can be switched off through it; this one reads no setting. It is installed on
every event table that pghistory's event models name (and the tables `register`ed by later
apps: the access log), after every `migrate` (post_migrate: the
function and any missing trigger, idempotent), so a newly tracked model is protected from its
first migration on; tests/drugcourt/test_append_only.py fails for a table without it. Row
level, so it also fires for a statement aimed at one partition of a partitioned table. TRUNCATE
is not a row operation and stays possible for the test database's flush; production denies it
(and UPDATE, DELETE) to the application's database role (docs/decisions/0018).
"""

import pghistory.models
from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper

TRIGGER = "drugcourt_append_only"
FUNCTION = "drugcourt_refuse_rewrite"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% of % refused: history and the access log are append-only',
        TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def trigger_sql(table: str) -> str:
    """The statement that makes `table` append-only (idempotent)."""
    return (
        f'CREATE OR REPLACE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )


# Models of later apps that are append-only too (registered in their AppConfig.ready(): the
# access log, clients.AccessLog), as "app_label.ModelName".
APPEND_ONLY_MODELS: list[str] = []


def register(label: str) -> None:
    if label not in APPEND_ONLY_MODELS:
        APPEND_ONLY_MODELS.append(label)


def append_only_tables() -> list[str]:
    """The tables of every pghistory event model (each tracked model has one) and of the
    registered append-only models."""
    events = [
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and model._meta.managed
    ]
    return sorted(events + [apps.get_model(label)._meta.db_table for label in APPEND_ONLY_MODELS])


def unprotected(connection: BaseDatabaseWrapper, tables: list[str]) -> list[str]:
    """Of `tables`, those that exist and have no append-only trigger (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname FROM pg_class c
            WHERE c.relname = ANY(%s) AND c.relnamespace = 'public'::regnamespace
              AND NOT EXISTS (
                SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = %s
              )
            """,
            [tables, TRIGGER],
        )
        return sorted(row[0] for row in cursor.fetchall())


def protect_append_only_tables(connection: BaseDatabaseWrapper) -> list[str]:
    """Install the function, and the trigger on every event table that lacks it; the tables
    protected now."""
    with connection.cursor() as cursor:
        cursor.execute(CREATE_FUNCTION)
    missing = unprotected(connection, append_only_tables())
    with connection.cursor() as cursor:
        for table in missing:
            cursor.execute(trigger_sql(table))
    return missing


# The application's database role in production (docs/decisions/0018, "Production database
# roles"): made by `manage.py db_app_role`, refreshed after every migrate while it exists.
APP_ROLE = "drugcourt_app"


def grant_app_role(
    connection: BaseDatabaseWrapper, role: str = APP_ROLE, *, password: str | None = None
) -> None:
    """Creates `role` when missing, and lets it read and write every table of the schema but
    only read and append to the append-only ones (no UPDATE, DELETE or TRUNCATE, on their
    partitions too). It owns nothing, so it cannot drop or disable a trigger either, nor set
    session_replication_role (superusers only). Idempotent."""
    name = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        if password:
            cursor.execute(f"ALTER ROLE {name} PASSWORD %s", [password])
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}")
        cursor.execute(
            "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE tgname = %s", [TRIGGER]
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {name}")


def protect_after_migrate(sender, *, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: every event table, including those the migrations just made, and
    the application role's grants on the new tables when the role exists."""
    from django.db import connections

    connection = connections[using]
    protect_append_only_tables(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        exists = cursor.fetchone() is not None
    if exists:
        grant_app_role(connection)

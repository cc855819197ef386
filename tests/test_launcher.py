"""`make run` end to end on the embedded path: PostgreSQL and Redis started by the launcher, every
migration, the demo seed, web, worker and beat; then Ctrl-C leaves nothing running."""

import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import psycopg2
import pytest

from drugcourt.demo_codes import DEMO_BACKUP_CODES, DEMO_TOTP_KEY
from drugcourt.launcher import DEMO_USERS

PROJECT_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120
STOP_TIMEOUT = 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthz_status(port: int) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    except OSError:
        return None
    finally:
        connection.close()


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _using(folder: Path) -> list[psutil.Process]:
    return [
        process
        for process in psutil.process_iter(["cmdline"])
        if any(str(folder) in argument for argument in process.info["cmdline"] or ())
    ]


@pytest.mark.launcher
def test_run_starts_everything_embedded_and_ctrl_c_stops_it(tmp_path):
    # Short, for the socket paths; the launcher is told to use it instead of its own folder.
    folder = Path(tempfile.mkdtemp(prefix="dc", dir="/tmp"))
    port = _free_port()
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env |= {"PORT": str(port), "DRUGCOURT_EMBEDDED_DIR": str(folder)}
    log_path = tmp_path / "launcher.log"
    with log_path.open("wb") as log:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "drugcourt.launcher", "run"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for the Ctrl-C below
        )
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while _healthz_status(port) != 200:
            assert launcher.poll() is None, f"launcher exited early:\n{log_path.read_text()}"
            assert time.monotonic() < deadline, f"no 200 from /healthz:\n{log_path.read_text()}"
            time.sleep(0.5)

        children = psutil.Process(launcher.pid).children(recursive=True)
        commands = [" ".join(child.cmdline()) for child in children if _alive(child)]
        assert any("runserver" in command for command in commands), commands
        assert any("celery" in command and " worker" in command for command in commands)
        assert any("celery" in command and " beat" in command for command in commands)

        output = log_path.read_text()
        assert f"http://127.0.0.1:{port}/" in output
        assert "drugcourt-demo" in output
        assert all(username in output for username in DEMO_USERS), output
        assert DEMO_TOTP_KEY in output  # the demo accounts' second factor
        assert all(code in output for code in DEMO_BACKUP_CODES), output

        database = psycopg2.connect(host=str(folder / "pg"), dbname="drugcourt", user="postgres")
        with contextlib.closing(database), database.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations")
            assert cursor.fetchone()[0] > 0

        os.killpg(launcher.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        launcher.wait(STOP_TIMEOUT)
        leftovers = [child for child in children if _alive(child)] + _using(folder)
        assert not leftovers, [process.cmdline() for process in leftovers]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(launcher.pid, signal.SIGKILL)
        launcher.wait()
        for process in children + _using(folder):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
        shutil.rmtree(folder, ignore_errors=True)

"""`manage.py serve`: web server and worker start together, answer, and stop together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from calmdesk.core.management.commands.serve import Command

MANAGE = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A fresh, migrated SQLite desk in a temporary var/ directory, outside pytest's settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL"}
    }
    env.update(
        CALMDESK_VAR_DIR=str(tmp_path_factory.mktemp("var")),
        CALMDESK_TESTING="0",
        LOG_LEVEL="WARNING",
    )
    subprocess.run([*MANAGE, "migrate", "--noinput", "-v", "0"], env=env, check=True, timeout=120)
    return env


def test_serve_answers_on_help_prints_the_banner_and_stops_cleanly(
    server_env: dict[str, str],
) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*MANAGE, "serve", "--port", str(port)],
        env=server_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            assert proc.poll() is None, "serve exited before answering"
            status = get_status(f"http://127.0.0.1:{port}/help")
            time.sleep(0.2)
        assert status == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _err = proc.communicate(timeout=30)

    assert proc.returncode == 0
    assert f"http://127.0.0.1:{port}/help" in out
    assert f"http://127.0.0.1:{port}/agent/" in out
    assert "Stop with Ctrl-C." in out
    assert get_status(f"http://127.0.0.1:{port}/help") is None


def test_serve_refuses_a_port_that_is_taken(server_env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        result = subprocess.run(
            [*MANAGE, "serve", "--port", str(port)],
            env=server_env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert result.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in result.stderr


def test_when_one_child_dies_the_other_is_stopped_and_its_exit_code_is_returned() -> None:
    worker = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(3)"])
    web = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

    started = time.monotonic()
    code = Command()._supervise({"web": web, "worker": worker}, stopping=[])

    assert code == 3
    assert web.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 10

"""Run Calmdesk on one machine: the web server (uvicorn) and the background worker (Huey).

Both run as child processes. SIGINT/SIGTERM are forwarded to both; when either child stops on
its own the other is stopped too and the command exits non-zero, so a supervisor (systemd, a
container runtime) notices and restarts the pair.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"
STOP_TIMEOUT_SECONDS = 15


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


class Command(BaseCommand):
    help = "Start the web server (uvicorn) and the background worker (Huey) together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--smtp-port",
            type=int,
            default=int(os.environ.get("SMTP_PORT", "2525")),
            help="Port of the inbound mail receiver (SMTP; 0: do not start it).",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Only the web server (run the worker elsewhere with manage.py run_huey).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        if _port_open(host, port):
            self.stderr.write(f"Port {port} on {host} is already in use; choose another: PORT=…")
            sys.exit(2)
        env = os.environ.copy()
        # Links in mail follow the address actually served unless SITE_URL says otherwise.
        env.setdefault("SITE_URL", f"http://{host}:{port}")
        commands = {
            "web": [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--host",
                host,
                "--port",
                str(port),
            ],
        }
        if not options["no_worker"]:
            commands["worker"] = [sys.executable, str(MANAGE_PY), "run_huey", "--quiet"]
        smtp_port: int = options["smtp_port"]
        if smtp_port and not _port_open(host, smtp_port):
            # Mail for the demo mailboxes (…@calmdesk.test) delivered straight to Calmdesk.
            commands["smtpd"] = [
                sys.executable,
                str(MANAGE_PY),
                "smtpd",
                "--host",
                host,
                "--port",
                str(smtp_port),
            ]
        children: dict[str, subprocess.Popen[bytes]] = {}
        stopping: list[int] = []

        def forward(signum: int, frame: FrameType | None) -> None:
            stopping.append(signum)
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signum)

        signal.signal(signal.SIGINT, forward)
        signal.signal(signal.SIGTERM, forward)
        for name, command in commands.items():
            # Own process group: a Ctrl-C in the terminal reaches the children once, through us.
            children[name] = subprocess.Popen(  # noqa: S603
                command, cwd=settings.BASE_DIR, env=env, process_group=0
            )

        deadline = time.monotonic() + 30
        while not stopping and time.monotonic() < deadline:
            if any(child.poll() is not None for child in children.values()):
                break
            if _port_open(host, port):
                self._banner(
                    env["SITE_URL"],
                    with_worker="worker" in children,
                    smtp=f"{host}:{smtp_port}" if "smtpd" in children else "",
                )
                break
            time.sleep(0.1)

        exit_code = self._supervise(children, stopping)
        sys.exit(exit_code)

    def _supervise(self, children: dict[str, subprocess.Popen[bytes]], stopping: list[int]) -> int:
        """Wait until a signal arrives or a child dies; stop the rest; return our exit code."""
        died: str | None = None
        while not stopping and died is None:
            for name, child in children.items():
                if child.poll() is not None:
                    died = name
                    break
            else:
                time.sleep(0.2)
        if died is not None:
            code = children[died].returncode
            self.stderr.write(f"The {died} process stopped (exit code {code}); stopping the rest.")
            for child in children.values():
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if died is not None:
            return children[died].returncode or 1
        return 0

    def _banner(self, site_url: str, *, with_worker: bool, smtp: str = "") -> None:
        from calmdesk.core.demo.accounts import DEMO_PASSWORD, demo_logins

        mail = (
            f"written as files to {settings.EMAIL_FILE_PATH}/"
            if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend")
            else f"sent through {settings.EMAIL_BACKEND} ({getattr(settings, 'EMAIL_HOST', '')})"
        )
        lines = [
            "",
            "Calmdesk is running.",
            f"  Request form (customers):  {site_url}/help",
            f"  Crisis page (customers):   {site_url}/crisis",
            f"  Agent workspace:           {site_url}/agent/",
            f"  Administration:            {site_url}/admin/",
            f"  API documentation:         {site_url}/api/docs",
            f"  Live chat (demo site):     {site_url}/chat/demo/",
            f"  Outgoing mail:             {mail}",
            "  Incoming mail:             "
            + (f"SMTP on {smtp}, for any address @calmdesk.test" if smtp else "not started"),
            "  Background worker:         "
            + ("running (Huey)" if with_worker else "not started here (--no-worker)"),
        ]
        logins = demo_logins()
        if logins:
            lines.append(f"  Demo logins (password '{DEMO_PASSWORD}'):")
            lines.extend(f"    {username:<8} {description}" for username, description in logins)
        lines += ["Stop with Ctrl-C.", ""]
        self.stdout.write("\n".join(lines))

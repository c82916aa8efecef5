"""A private Dovecot IMAP server for the tests (Debian's ``dovecot-imapd``).

Its own configuration, runtime directory, users file and maildirs live in a temporary
directory; it listens on 127.0.0.1 on a free port with plain-text login allowed and no TLS,
and stops when the test session ends. As root, Dovecot's own unprivileged users run the login
and mail processes; as any other user, everything runs as that user.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from imap_tools import MailBoxUnencrypted

DOVECOT = "/usr/sbin/dovecot"
USERS = {"support": "support-secret", "sales": "sales-secret"}


@dataclass
class Dovecot:
    host: str
    port: int  # plain IMAP (STARTTLS offered when tls_port is set)
    base: Path
    log: Path
    tls_port: int | None = None  # IMAPS, with a self-signed certificate for 127.0.0.1
    ca_file: str = ""  # that certificate, to trust it

    def password(self, user: str) -> str:
        return USERS[user]

    def client(self, user: str = "support") -> MailBoxUnencrypted:
        return MailBoxUnencrypted(self.host, self.port, timeout=10).login(user, USERS[user])

    def append(self, raw: bytes, *, user: str = "support", folder: str = "INBOX") -> None:
        with self.client(user) as box:
            box.append(raw, folder)

    def unseen(self, user: str = "support", folder: str = "INBOX") -> list[str]:
        with self.client(user) as box:
            box.folder.set(folder)
            return box.uids("UNSEEN")

    def all(self, user: str = "support", folder: str = "INBOX") -> list[str]:
        with self.client(user) as box:
            box.folder.set(folder)
            return box.uids("ALL")

    def empty(self, user: str = "support") -> None:
        """Delete every message of the user's INBOX (between tests)."""
        with self.client(user) as box:
            box.folder.set("INBOX")
            uids = box.uids("ALL")
            if uids:
                box.client.uid("STORE", ",".join(uids), "+FLAGS.SILENT", r"(\Deleted)")
                box.client.expunge()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _certificate(base: Path) -> bool:
    """A self-signed certificate for 127.0.0.1 (cert.pem, key.pem); False without openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        return False
    done = subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            str(base / "key.pem"),
            "-out",
            str(base / "cert.pem"),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _ssl(base: Path, tls_port: int | None) -> tuple[str, str]:
    """(global ssl settings, the imaps listener)."""
    if tls_port is None:
        return "ssl = no", "port = 0"
    settings = f"ssl = yes\nssl_cert = <{base}/cert.pem\nssl_key = <{base}/key.pem"
    return settings, f"address = 127.0.0.1\n    port = {tls_port}"


def _config(base: Path, port: int, tls_port: int | None = None) -> str:
    if os.geteuid() == 0:
        login_user, internal_user = "dovenull", "dovecot"
    else:
        login_user = internal_user = pwd.getpwuid(os.geteuid()).pw_name
    mail_user = internal_user
    mail_group = grp.getgrgid(pwd.getpwnam(mail_user).pw_gid).gr_name
    uid = pwd.getpwnam(mail_user).pw_uid
    ssl_settings, imaps = _ssl(base, tls_port)
    return f"""
base_dir = {base}/run
state_dir = {base}/state
log_path = {base}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl_settings}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
default_internal_user = {internal_user}
default_internal_group = {mail_group}
default_login_user = {login_user}
first_valid_uid = {min(uid, 100)}
mail_location = maildir:{base}/mail/%u
mailbox_idle_check_interval = 1 secs
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {base}/users
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={base}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    {imaps}
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


def _wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited ({process.returncode}): {_tail(log)}")
        try:
            with socket.create_connection((host, port), timeout=0.5) as sock:
                if sock.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"dovecot did not start listening on {port}: {_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"


@contextmanager
def run_dovecot() -> Iterator[Dovecot]:
    base = Path(tempfile.mkdtemp(prefix="calmdesk-dovecot-"))
    process = None
    try:
        base.chmod(0o755)  # Dovecot's unprivileged processes read below it
        for sub in ("run", "state", "mail"):
            (base / sub).mkdir()
        users = base / "users"
        users.write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in USERS.items()))
        users.chmod(0o644)
        if os.geteuid() == 0:
            dovecot = pwd.getpwnam("dovecot")
            os.chown(base / "mail", dovecot.pw_uid, dovecot.pw_gid)
        port = _free_port()
        tls_port = _free_port() if _certificate(base) else None
        conf = base / "dovecot.conf"
        conf.write_text(_config(base, port, tls_port))
        log = base / "dovecot.log"
        process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_for_port("127.0.0.1", port, process, log)
        yield Dovecot(
            host="127.0.0.1",
            port=port,
            base=base,
            log=log,
            tls_port=tls_port,
            ca_file=str(base / "cert.pem") if tls_port else "",
        )
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session", name="dovecot")
def dovecot_fixture() -> Iterator[Dovecot]:
    """The private Dovecot. Without ``/usr/sbin/dovecot`` the IMAP tests are skipped with the
    reason, except in CI (``CI`` set, as for the browser tests), where a missing server is a
    failure: ``.ci/run`` installs it."""
    if not os.path.exists(DOVECOT):
        reason = f"{DOVECOT} is missing: apt-get install dovecot-imapd"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with run_dovecot() as server:
        yield server


@pytest.fixture(name="imap")
def imap_fixture(dovecot: Dovecot) -> Dovecot:
    """The Dovecot with empty inboxes for this test."""
    for user in USERS:
        dovecot.empty(user)
    return dovecot

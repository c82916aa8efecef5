"""Shared pieces of the Calmdesk benchmarks: databases, servers, wrk runs, medians.

The anchors in ``../shared/bench-anchors`` (django-helpdesk 2.6.1 in ``hdproj/``, the bare
insert view in ``bareproj/``, the process helpers in ``common.py``) are used from where they
are, never copied: this module puts that directory on ``sys.path`` and imports ``common``.

Every server runs as gunicorn with 2 sync workers on 127.0.0.1, one at a time, and every one
of them gets the *same* ``DATABASES`` entry: the one ``config/settings.py`` builds from
``DATABASE_URL`` (SQLite WAL + IMMEDIATE + synchronous=NORMAL, or PostgreSQL; both with
CONN_MAX_AGE=60 unless ``CONN_MAX_AGE`` is set), only the database name differs (see
``bench/bare_settings.py`` and ``bench/hd_settings.py``). One exception: on SQLite the bare view
and django-helpdesk run Django's own backend, without Calmdesk's writer gate
(``calmdesk/core/sqlite``), unless ``BENCH_GATE_ALL=1``.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
ANCHORS_SRC = Path(os.environ.get("BENCH_ANCHORS_SRC", REPO.parent / "shared" / "bench-anchors"))
os.environ.setdefault(
    "ANCHORS", "/tmp/anchors"
)  # the anchors' scratch dir (their venv lives there)
sys.path.insert(0, str(ANCHORS_SRC))

import common  # noqa: E402  (the anchors' helpers: Server, wait_http, wrk, median_runs)

WORK = Path(os.environ.get("CDBENCH_DIR", "/tmp/cdbench"))
RESULTS = WORK / "results"
LOGS = WORK / "logs"
for d in (WORK, RESULTS, LOGS):
    d.mkdir(parents=True, exist_ok=True)

CD_PY = str(REPO / ".venv" / "bin" / "python")
CD_GUNICORN = str(REPO / ".venv" / "bin" / "gunicorn")
HD_PY = os.path.join(common.VENV, "python")
HD_GUNICORN = os.path.join(common.VENV, "gunicorn")
PG_HOST = os.environ.get("BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("BENCH_PG_USER", "postgres")
PORTS = {"calmdesk": 8010, "bare": 8011, "helpdesk": 8012}
GUNICORN_ARGS = ["-w", "2", "--no-control-socket", "--timeout", "120"]

AGENT_USER = "bench-agent"
AGENT_PASSWORD = "bench-agent-pass-2718"  # bench database only


# ------------------------------------------------------------------------------------------
# Databases
# ------------------------------------------------------------------------------------------


@dataclass
class DbConfig:
    """One database setting under test; three databases of it (calmdesk, bare, helpdesk)."""

    name: str  # "sqlite" or "pg"
    redis_url: str = ""
    tag: str = ""  # appended to every database name, e.g. "_q100000" (one database per size)
    names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name == "sqlite":
            self.names = {
                k: str(WORK / f"{k}{self.tag}.sqlite3") for k in ("calmdesk", "bare", "helpdesk")
            }
        elif self.name == "pg":
            self.names = {
                "calmdesk": f"calmdesk_bench{self.tag}",
                "bare": f"calmdesk_bench_bare{self.tag}",
                "helpdesk": f"calmdesk_bench_hd{self.tag}",
            }
        else:
            raise SystemExit(f"unknown --db {self.name!r} (sqlite or pg)")

    def url(self, which: str) -> str:
        if self.name == "sqlite":
            return f"sqlite:///{self.names[which]}"
        return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.names[which]}"

    def reset(self, which: str) -> None:
        name = self.names[which]
        if self.name == "sqlite":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(name + suffix).unlink(missing_ok=True)
            return
        assert name.startswith("calmdesk_bench"), name  # never anything else
        pg = ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
        subprocess.run(["dropdb", *pg, "--if-exists", "--force", name], check=True)
        subprocess.run(["createdb", *pg, name], check=True)

    def exists(self, which: str) -> bool:
        name = self.names[which]
        if self.name == "sqlite":
            return Path(name).exists()
        out = subprocess.run(
            [
                "psql",
                "-h",
                PG_HOST,
                "-p",
                PG_PORT,
                "-U",
                PG_USER,
                "-d",
                "postgres",
                "-tAc",
                f"SELECT 1 FROM pg_database WHERE datname = '{name}'",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return out.strip() == "1"

    def clone_from(self, which: str, src: DbConfig) -> None:
        """This setting's ``which`` database becomes a copy of ``src``'s (a file copy on
        SQLite after a WAL checkpoint, ``createdb --template`` on PostgreSQL)."""
        name, src_name = self.names[which], src.names[which]
        if self.name == "sqlite":
            self.reset(which)
            con = sqlite3.connect(src_name, timeout=30)
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.close()
            shutil.copyfile(src_name, name)
            return
        assert name.startswith("calmdesk_bench"), name  # never anything else
        assert src_name.startswith("calmdesk_bench"), src_name
        pg = ["-h", PG_HOST, "-p", PG_PORT, "-U", PG_USER]
        subprocess.run(["dropdb", *pg, "--if-exists", "--force", name], check=True)
        subprocess.run(["createdb", *pg, "--template", src_name, name], check=True)

    def scalar(self, which: str, sql: str) -> int:
        if self.name == "sqlite":
            con = sqlite3.connect(self.names[which], timeout=30)
            try:
                return int(con.execute(sql).fetchone()[0])
            finally:
                con.close()
        out = subprocess.run(
            [
                "psql",
                "-h",
                PG_HOST,
                "-p",
                PG_PORT,
                "-U",
                PG_USER,
                "-d",
                self.names[which],
                "-v",
                "ON_ERROR_STOP=1",
                "-tAc",
                sql,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return int(out.strip())

    def count(self, which: str) -> int:
        """Rows created: ``calmdesk`` the accepted requests (the worker files them afterwards),
        ``calmdesk_tickets`` the tickets filed (both in the Calmdesk database)."""
        db, table = {
            "calmdesk": ("calmdesk", "inbox_submission"),
            "calmdesk_tickets": ("calmdesk", "tickets_ticket"),
            "bare": ("bare", "bench_row"),
            "helpdesk": ("helpdesk", "helpdesk_ticket"),
        }[which]
        return self.scalar(db, f"SELECT count(*) FROM {table}")

    def analyze(self, which: str) -> None:
        """PostgreSQL: VACUUM ANALYZE; SQLite: ANALYZE (Django never runs either)."""
        if self.name == "sqlite":
            con = sqlite3.connect(self.names[which], timeout=30)
            con.execute("ANALYZE")
            con.close()
        else:
            subprocess.run(
                [
                    "psql",
                    "-h",
                    PG_HOST,
                    "-p",
                    PG_PORT,
                    "-U",
                    PG_USER,
                    "-d",
                    self.names[which],
                    "-qc",
                    "VACUUM ANALYZE",
                ],
                check=True,
            )

    # --- environments ---------------------------------------------------------------------

    def calmdesk_env(self) -> dict[str, str]:
        """The Calmdesk server's environment: production settings, bench-only knobs via env."""
        env = dict(
            os.environ,
            DATABASE_URL=self.url("calmdesk"),
            CALMDESK_VAR_DIR=str(WORK / f"var-{self.name}"),
            SECRET_KEY="bench-only-secret-key-not-for-production-0123456789abcdef",
            DEBUG="0",
            LOG_LEVEL="WARNING",
            CALMDESK_TESTING="0",
            # Huey: tasks are queued, no worker runs during the benchmark (see README).
            HUEY_IMMEDIATE="0",
            # The per-IP intake limit would stop a load test from one IP after 20 requests.
            CALMDESK_INTAKE_RATE_LIMIT="1000000000",
            CALMDESK_AUTORESPONDER_MAX_PER_HOUR="1000000000",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.pop("REDIS_URL", None)
        if self.redis_url:
            env.update(
                REDIS_URL=self.redis_url, HUEY_NAME="calmdesk-bench", CACHE_KEY_PREFIX="cdbench"
            )
        return env

    def database_json(self, which: str) -> str:
        """Calmdesk's DATABASES['default'] for this setting, pointed at ``which``'s database."""
        env = dict(self.calmdesk_env(), DATABASE_URL=self.url(which))
        code = "import json, config.settings as s; print(json.dumps(s.DATABASES['default']))"
        out = subprocess.run(
            [CD_PY, "-c", code], cwd=REPO, env=env, check=True, capture_output=True, text=True
        ).stdout
        settings = json.loads(out.strip().splitlines()[-1])
        # The bare view and django-helpdesk run Django's own SQLite backend with the same
        # OPTIONS: the writer gate is Calmdesk's code (BENCH_GATE_ALL=1 lends it to them).
        gate_all = os.environ.get("BENCH_GATE_ALL") == "1"
        if which != "calmdesk" and settings["ENGINE"] == "calmdesk.core.sqlite" and not gate_all:
            settings["ENGINE"] = "django.db.backends.sqlite3"
        return json.dumps(settings)

    def bare_env(self) -> dict[str, str]:
        return dict(
            common.BASE_ENV,
            DJANGO_SETTINGS_MODULE="bare_settings",
            PYTHONPATH=f"{ANCHORS_SRC / 'bareproj'}:{BENCH}:{REPO}",
            BENCH_DATABASE_JSON=self.database_json("bare"),
            PYTHONDONTWRITEBYTECODE="1",
        )

    def hd_env(self) -> dict[str, str]:
        return dict(
            common.BASE_ENV,
            DJANGO_SETTINGS_MODULE="hd_settings",
            PYTHONPATH=f"{ANCHORS_SRC / 'hdproj'}:{BENCH}:{REPO}",
            BENCH_DATABASE_JSON=self.database_json("helpdesk"),
            PYTHONDONTWRITEBYTECODE="1",
        )


def describe_db(cfg: DbConfig) -> dict[str, object]:
    settings = json.loads(cfg.database_json("calmdesk"))
    settings.pop("PASSWORD", None)
    return {"db": cfg.name, "redis": cfg.redis_url or None, "settings": settings}


# ------------------------------------------------------------------------------------------
# Preparing the three projects
# ------------------------------------------------------------------------------------------


def run(cmd: list[str], *, cwd: Path | str, env: dict[str, str], quiet: bool = False) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"failed: {' '.join(cmd)}")
    if not quiet and proc.stdout.strip():
        print(proc.stdout.rstrip(), flush=True)
    return proc.stdout


def prepare_calmdesk(cfg: DbConfig, *, tickets: int = 0) -> None:
    """Fresh database, migrations, base data (teams, types, form, rules, bench agent)."""
    cfg.reset("calmdesk")
    env = cfg.calmdesk_env()
    run([CD_PY, "manage.py", "migrate", "-v0"], cwd=REPO, env=env)
    run([CD_PY, str(BENCH / "seed_tickets.py"), "base"], cwd=REPO, env=env)
    flush_huey(cfg)
    if tickets:
        seed_calmdesk(cfg, tickets)


def flush_huey(cfg: DbConfig) -> None:
    """Empty the bench's Huey queue (its SQLite file under the var dir, or its Redis keys):
    the tasks earlier runs queued without a worker refer to a database that was dropped."""
    code = "from huey.contrib.djhuey import HUEY; HUEY.flush()"
    run([CD_PY, "manage.py", "shell", "-c", code], cwd=REPO, env=cfg.calmdesk_env(), quiet=True)


def seed_calmdesk(cfg: DbConfig, tickets: int) -> float:
    t0 = time.time()
    proc = subprocess.run(
        [CD_PY, str(BENCH / "seed_tickets.py"), "topup", str(tickets)],
        cwd=REPO,
        env=cfg.calmdesk_env(),
    )
    if proc.returncode:
        raise SystemExit("seed_tickets.py topup failed")
    return time.time() - t0


def prepare_bare(cfg: DbConfig) -> None:
    cfg.reset("bare")
    run([CD_PY, "manage.py", "migrate", "-v0"], cwd=ANCHORS_SRC / "bareproj", env=cfg.bare_env())


def hd_data(cfg: DbConfig, *args: str, quiet: bool = True) -> str:
    return run(
        [HD_PY, str(ANCHORS_SRC / "hdproj" / "hd_data.py"), *args],
        cwd=ANCHORS_SRC / "hdproj",
        env=cfg.hd_env(),
        quiet=quiet,
    )


def prepare_helpdesk(cfg: DbConfig) -> None:
    cfg.reset("helpdesk")
    env = cfg.hd_env()
    run([HD_PY, "manage.py", "migrate", "-v0"], cwd=ANCHORS_SRC / "hdproj", env=env)
    hd_data(cfg, "base")


# ------------------------------------------------------------------------------------------
# Servers
# ------------------------------------------------------------------------------------------


def base_url(which: str) -> str:
    return f"http://127.0.0.1:{PORTS[which]}"


def start_server(cfg: DbConfig, which: str) -> common.Server:
    bind = ["-b", f"127.0.0.1:{PORTS[which]}"]
    log = str(LOGS / f"gunicorn_{which}_{cfg.name}.log")
    if which == "calmdesk":
        # The app is being built while it is measured: apply any migration that landed since.
        run([CD_PY, "manage.py", "migrate", "-v0"], cwd=REPO, env=cfg.calmdesk_env())
        server = common.Server(
            [CD_GUNICORN, "config.wsgi", *bind, *GUNICORN_ARGS],
            cwd=str(REPO),
            env=cfg.calmdesk_env(),
            log=log,
        )
        probe = "/accounts/login/"
    elif which == "bare":
        server = common.Server(
            [CD_GUNICORN, "bareproj.wsgi", *bind, *GUNICORN_ARGS],
            cwd=str(ANCHORS_SRC / "bareproj"),
            env=cfg.bare_env(),
            log=log,
        )
        probe = "/ping/"
    else:
        server = common.Server(
            [HD_GUNICORN, "hdproj.wsgi", *bind, *GUNICORN_ARGS],
            cwd=str(ANCHORS_SRC / "hdproj"),
            env=cfg.hd_env(),
            log=log,
        )
        probe = "/tickets/submit/"
    try:
        common.wait_http(base_url(which) + probe, secs=60)
    except Exception:
        server.stop()
        raise
    return server


def start_consumer(cfg: DbConfig, *, secs: int = 60) -> common.Server:
    """Calmdesk's Huey consumer (``manage.py run_huey``) with the server's environment (the
    same ``HUEY_IMMEDIATE=0`` queue: Redis with ``REDIS_URL``, else the SQLite file in the
    var dir), in a process group of its own. Returns once it logged that it started."""
    log = LOGS / f"huey_calmdesk_{cfg.name}.log"
    consumer = common.Server(
        [CD_PY, "manage.py", "run_huey"], cwd=str(REPO), env=cfg.calmdesk_env(), log=str(log)
    )
    deadline = time.monotonic() + secs
    while "consumer started" not in log.read_text(errors="replace"):
        if consumer.p.poll() is not None or time.monotonic() > deadline:
            consumer.stop()
            raise RuntimeError(f"the Huey consumer did not start; see {log}")
        time.sleep(0.2)
    return consumer


def stop_consumer(consumer: common.Server, *, secs: int = 30) -> None:
    """SIGINT first: Huey's graceful shutdown lets the running tasks finish; then
    ``Server.stop`` (SIGTERM, SIGKILL) if it is still there."""
    if consumer.p.poll() is None:
        os.killpg(consumer.p.pid, signal.SIGINT)
        try:
            consumer.p.wait(secs)
        except subprocess.TimeoutExpired:
            print(f"  consumer pid={consumer.p.pid} still running after SIGINT", flush=True)
    consumer.stop()


# ------------------------------------------------------------------------------------------
# HTTP sessions (CSRF cookie + token scraped once, logged-in agent)
# ------------------------------------------------------------------------------------------


class Browser:
    """A tiny cookie-keeping HTTP client for the one-off steps (login, scraping tokens)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as resp:
            return resp.read().decode()

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        req = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": self.base + path},
        )
        try:
            with self.opener.open(req, timeout=60) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def cookies(self) -> dict[str, str]:
        return {c.name: c.value for c in self.jar}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies().items())


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not m:
        raise RuntimeError("no csrfmiddlewaretoken in the page")
    return m.group(1)


def calmdesk_login(base: str) -> Browser:
    b = Browser(base)
    token = csrf_from(b.get("/accounts/login/"))
    b.post(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": AGENT_USER, "password": AGENT_PASSWORD},
    )
    if "sessionid" not in b.cookies():
        raise RuntimeError("bench agent could not log in to Calmdesk")
    return b


# ------------------------------------------------------------------------------------------
# wrk
# ------------------------------------------------------------------------------------------

_run_counter = 0


def wrk(
    base: str,
    path: str,
    *,
    method: str = "GET",
    body: str = "",
    ctype: str = "",
    cookie: str = "",
    headers: str = "",
    conns: int = 1,
    secs: int = 10,
) -> dict[str, float]:
    """One wrk run with bench/lua/calmdesk.lua; returns the parsed RESULT line."""
    global _run_counter
    _run_counter += 1
    env = dict(
        os.environ,
        WRK_METHOD=method,
        WRK_PATH=path,
        WRK_BODY=body,
        WRK_CTYPE=ctype,
        WRK_COOKIE=cookie,
        WRK_HEADERS=headers,
        WRK_RUN_ID=f"r{os.getpid()}x{int(time.time())}x{_run_counter}",
        WRK_HEX=secrets.token_hex(12),
    )
    cmd = [
        "wrk",
        "-t1",
        f"-c{conns}",
        f"-d{secs}s",
        "--timeout=30s",
        "-s",
        str(BENCH / "lua" / "calmdesk.lua"),
        base,
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=secs + 120).stdout
    m = re.search(r"RESULT (.*)", out)
    if not m:
        raise RuntimeError("wrk failed: " + out)
    r = {k: float(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    r["errors"] = sum(
        r[k] for k in ("err_status", "err_connect", "err_read", "err_write", "err_timeout")
    )
    return r


KEYS = ("rps", "p50_ms", "p95_ms", "p99_ms", "requests", "errors")


def repeat(
    n: int,
    fn,
    label: str,
    *,
    created: Callable[[], int] | None = None,
    counters: dict[str, Callable[[], int]] | None = None,
    gauges: dict[str, Callable[[], int]] | None = None,
) -> dict[str, object]:
    """Run ``fn`` n times; the median of each figure taken separately (as the anchors do).

    ``created`` (optional) counts rows in the database: each run then also reports the rows
    really created per second, which is the intake figure (a 200 re-render of a form with
    errors would otherwise look like a success). ``counters`` likewise, under their own names
    (``<name>`` rows and ``<name>_per_s``); ``gauges`` are read once at the end of each run.
    """
    counted = dict(counters or {})
    if created:
        counted = {"created": created, **counted}
    gauges = gauges or {}
    runs = []
    for i in range(n):
        before = {name: count() for name, count in counted.items()}
        r = fn()
        for name, count in counted.items():
            r[name] = count() - before[name]
            r[f"{name}_per_s"] = r[name] / r["secs"]
        for name, gauge in gauges.items():
            r[name] = gauge()
        runs.append(r)
        extra = "".join(
            f" {name}={int(r[name])} ({r[f'{name}_per_s']:.1f}/s)" for name in counted
        ) + "".join(f" {name}={int(r[name])}" for name in gauges)
        status = " ".join(f"{k}={int(r[k])}" for k in ("s2xx", "s3xx", "s4xx", "s5xx") if k in r)
        print(
            f"  {label} run{i + 1}: rps={r['rps']:.1f} p50={r['p50_ms']:.1f}ms "
            f"p95={r['p95_ms']:.1f}ms n={int(r['requests'])} err={int(r['errors'])} "
            f"{status}{extra}",
            flush=True,
        )
    keys = [*KEYS, *(k for name in counted for k in (f"{name}_per_s", name)), *gauges]
    return medians(runs, keys)


def medians(runs: list[dict[str, object]], keys: list[str]) -> dict[str, object]:
    """The median of each figure over ``runs``, taken separately, and the runs themselves."""
    med: dict[str, object] = {k: statistics.median(float(r[k]) for r in runs) for k in keys}
    med["runs"] = [{k: round(float(r[k]), 2) for k in keys} for r in runs]
    return med


def save(name: str, data: dict[str, object]) -> Path:
    path = RESULTS / name
    path.write_text(json.dumps(data, indent=1))
    print("saved", path, flush=True)
    return path


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


_waited_once = False


def wait_quiet(*, below: float = 1.0, max_secs: int = 600, poll: int = 30) -> str:
    """Before the first measurement of a script: wait (at most ``max_secs``, or
    ``BENCH_WAIT_MAX``) until the 1-minute load average is below ``below``. Later calls do not
    wait (the previous measurement's own load takes a minute to decay from the average) but,
    like the first, return the load average at the moment the measurement starts."""
    global _waited_once
    if _waited_once or os.environ.get("BENCH_NO_WAIT") == "1":
        return load_average()
    _waited_once = True
    max_secs = int(os.environ.get("BENCH_WAIT_MAX", max_secs))
    waited = 0
    while float(load_average().split()[0]) >= below and waited < max_secs:
        print(f"  load {load_average()}: waiting for < {below} ({waited}s so far)", flush=True)
        time.sleep(poll)
        waited += poll
    return load_average()


def machine() -> dict[str, str]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram_gib": f"{mem_kb / 1024 / 1024:.0f}",
        "kernel": os.uname().release,
        "when": time.strftime("%Y-%m-%d %H:%M %Z"),
    }

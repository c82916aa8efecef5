"""The SQLite writer gate: writers on one database file take turns, across processes and threads,
and a gate nobody lets go never stops a writer for longer than the busy timeout."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from calmdesk.core.sqlite.gate import WriterGate

HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def hold_in_other_process(gate_path: str, seconds: float) -> subprocess.Popen[str]:
    """Another process takes the gate and keeps it ``seconds`` (then exits: the kernel lets go)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, gate_path, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_writer_waits_for_another_process_and_goes_on_as_soon_as_it_is_done(tmp_path: Path):
    gate = WriterGate(str(tmp_path / "db.sqlite3"))
    holder = hold_in_other_process(gate.path, 0.4)
    started = time.monotonic()
    assert gate.acquire(timeout=10)
    waited = time.monotonic() - started
    holder.wait(5)
    assert gate.held
    assert gate.waits == 1
    assert 0.25 < waited < 2.0
    gate.close()


def test_a_process_that_dies_holding_the_gate_lets_go_of_it(tmp_path: Path):
    gate = WriterGate(str(tmp_path / "db.sqlite3"))
    holder = hold_in_other_process(gate.path, 60)
    holder.kill()
    holder.wait(5)
    started = time.monotonic()
    assert gate.acquire(timeout=10)
    assert time.monotonic() - started < 1.0
    gate.close()


def test_a_gate_held_too_long_is_given_up_after_the_timeout(tmp_path: Path):
    gate = WriterGate(str(tmp_path / "db.sqlite3"))
    holder = hold_in_other_process(gate.path, 60)
    try:
        started = time.monotonic()
        assert gate.acquire(timeout=0.3) is False
        assert 0.3 <= time.monotonic() - started < 2.0
        assert not gate.held
        gate.release()  # not held: nothing to let go of, no error
    finally:
        holder.kill()
        holder.wait(5)
        gate.close()


def _database(path: Path, timeout: float = 20) -> ConnectionHandler:
    """A connection handler of its own on a file database, with Calmdesk's SQLite settings."""
    return ConnectionHandler(
        {
            "default": {
                "ENGINE": "calmdesk.core.sqlite",
                "NAME": str(path),
                "OPTIONS": {
                    "transaction_mode": "IMMEDIATE",
                    "timeout": timeout,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                },
            }
        }
    )


def _begin(conn) -> None:  # what transaction.atomic() does on SQLite when it opens a transaction
    conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def _end(conn, *, commit: bool = True) -> None:
    conn.commit() if commit else conn.rollback()
    conn.set_autocommit(True)


@pytest.fixture
def two_connections(tmp_path: Path, django_db_blocker):
    """Two connections to one database file of the test's own (not the test database)."""
    path = tmp_path / "desk.sqlite3"
    with django_db_blocker.unblock():
        a, b = _database(path)["default"], _database(path)["default"]
        with a.cursor() as cursor:
            cursor.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT, at REAL)")
        yield a, b
        a.close()
        b.close()


def test_a_transaction_waits_on_the_gate_while_another_connection_writes(two_connections):
    a, b = two_connections
    _begin(a)
    assert a.writer_gate is not None
    assert a.writer_gate.held
    b_began: list[float] = []

    def other_writer() -> None:
        _begin(b)
        b_began.append(time.monotonic())
        with b.cursor() as cursor:
            cursor.execute("INSERT INTO note (body, at) VALUES ('second', 0)")
        _end(b)

    b.inc_thread_sharing()  # b is used from the thread below
    thread = threading.Thread(target=other_writer)
    thread.start()
    time.sleep(0.3)
    assert not b_began  # still waiting: a holds the gate
    with a.cursor() as cursor:
        cursor.execute("INSERT INTO note (body, at) VALUES ('first', 0)")
    _end(a)
    committed = time.monotonic()
    thread.join(10)
    b.dec_thread_sharing()

    assert b_began
    assert b_began[0] >= committed
    assert b_began[0] - committed < 0.5  # handed over at once, not after a busy-wait sleep
    assert b.writer_gate is not None
    assert b.writer_gate.waits == 1
    assert not a.writer_gate.held
    assert not b.writer_gate.held
    with a.cursor() as cursor:
        cursor.execute("SELECT body FROM note ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]


@pytest.mark.parametrize("finish", ["rollback", "close"])
def test_a_rollback_or_a_closed_connection_lets_go_of_the_gate(two_connections, finish):
    a, b = two_connections
    _begin(a)
    if finish == "rollback":
        _end(a, commit=False)
    else:
        a.close()
    _begin(b)
    assert b.writer_gate is not None
    assert b.writer_gate.waits == 0
    _end(b)


def test_gated_statements_outside_a_transaction_hold_the_gate_between_them(two_connections):
    a, b = two_connections
    with a.gated():
        assert a.writer_gate is not None
        assert a.writer_gate.held
        with a.cursor() as cursor:  # autocommitted, one after the other
            cursor.execute("INSERT INTO note (body, at) VALUES ('one', 0)")
            cursor.execute("INSERT INTO note (body, at) VALUES ('two', 0)")
        b.ensure_connection()
        assert b.writer_gate is not None
        assert b.writer_gate.acquire(timeout=0.1) is False  # queued behind a
    assert not a.writer_gate.held
    assert b.writer_gate.acquire(timeout=0.1)
    b.writer_gate.release()


def test_a_transaction_inside_gated_statements_leaves_the_gate_to_them(two_connections):
    """The first ticket id ever reserved starts SQLite's counter in a transaction of its own,
    inside the intake's ``gated()``: its commit must not let the other writers in early."""
    a, _b = two_connections
    with a.gated():
        _begin(a)
        with a.cursor() as cursor:
            cursor.execute("INSERT INTO note (body, at) VALUES ('counter', 0)")
        _end(a)
        assert a.writer_gate is not None
        assert a.writer_gate.held  # still the intake's, for its INSERT
    assert not a.writer_gate.held


def test_the_test_suites_in_memory_database_has_no_gate(db):
    connection.ensure_connection()
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert getattr(connection, "writer_gate", None) is None


def test_remembered_statements_keep_their_parameters_and_literal_percent_signs(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    rows = ", ".join(["(%s)"] * 1500)  # too long to be remembered: converted each time
    with connection.cursor() as cursor:
        for word in ("calm", "desk"):  # the second run takes the remembered statement
            cursor.execute("SELECT %s || '%%', 'a%%b'", [word])
            assert cursor.fetchone() == (f"{word}%", "a%b")
            cursor.execute(f"SELECT sum(column1) FROM (VALUES {rows})", [1] * 1500)  # noqa: S608
            assert cursor.fetchone() == (1500,)

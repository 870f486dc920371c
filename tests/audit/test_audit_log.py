"""The audit log on SQLite and the real PostgreSQL: chaining, queries, tamper detection, concurrency, partitions.

The sealing (keyed hashes, the anchor outside the database) has its own tests in ``test_seal.py``."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from reviewlab.audit import GENESIS, AuditLog, ChainSeal, Problem, verify
from reviewlab.cli import main
from reviewlab.errors import StoreError
from reviewlab.settings import get_settings
from reviewlab.store import migrate
from reviewlab.store.connect import create_engine, translated
from tests._services import DEFAULT_POSTGRES_URL, fresh_postgres_database

START = datetime(2025, 1, 31, 23, 59, 58, 123456, tzinfo=UTC)


class Clock:
    """A clock that advances one second per reading, starting at ``START``."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            self.now += timedelta(seconds=1)
            return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.integration)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of this test's own: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        sqlite = create_engine(f"sqlite:///{tmp_path / 'audit.db'}")
        migrate.upgrade(translated(sqlite))
        yield sqlite
        sqlite.dispose()
        return
    yield request.getfixturevalue("postgres_engine")


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A fresh, migrated PostgreSQL database of this test's own (dropped afterwards)."""
    with fresh_postgres_database(os.environ.get("REVIEWLAB_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)) as url:
        postgres = create_engine(url)
        migrate.upgrade(translated(postgres))
        yield postgres
        postgres.dispose()


@pytest.fixture
def seal(tmp_path: Path) -> ChainSeal:
    """A known key, and anchors of the test's own."""
    return ChainSeal(b"audit-key-of-this-test-".ljust(32, b"."), tmp_path / "anchors")


@pytest.fixture
def log(engine: Engine, seal: ChainSeal) -> Iterator[AuditLog]:
    with AuditLog(engine, seal=seal, clock=Clock()) as audit_log:
        yield audit_log


def fill(log: AuditLog, count: int) -> None:
    for i in range(count):
        log.append(f"project.updated.{i}", actor=f"user-{i % 2}", target_type="project", target_id=str(i))


def tamper(engine: Engine, *statements: str) -> None:
    """Run ``statements`` as a malicious DBA would: with the append-only triggers out of the way."""
    postgres = engine.dialect.name == "postgresql"
    table = "audits.audit_log" if postgres else "audit_log"
    with engine.begin() as connection:
        if postgres:
            connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER IF EXISTS audit_log_no_update"))  # for good: tamper again freely
            connection.execute(text("DROP TRIGGER IF EXISTS audit_log_no_delete"))
        for statement in statements:
            connection.execute(text(statement.format(table=table)))
        if postgres:
            connection.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))


def test_append_chains_each_row_to_the_previous_one(log: AuditLog) -> None:
    first = log.append(
        "auth.login.failed", ip="203.0.113.7", request_id="req-1", details={"email": "a@example.org", "n": [1, 2]}
    )
    second = log.append("project.created", actor="user-1", target_type="project", target_id="p-1")

    assert (first.id, first.prev_hash) == (1, GENESIS)
    assert (second.id, second.prev_hash) == (2, first.hash)
    assert log.head() == second
    assert log.query(limit=10) == [second, first]
    result = log.verify()
    assert (result.ok, result.rows_checked, result.head_id, result.head_hash) == (True, 2, 2, second.hash)


def test_details_come_back_as_the_object_that_was_appended(log: AuditLog) -> None:
    log.append("auth.login.failed", details={"email": "a@example.org", "n": [1, 2], "nested": {"k": None}})

    [record] = log.query(limit=1)

    assert record.details == {"email": "a@example.org", "n": [1, 2], "nested": {"k": None}}


def test_the_hash_is_hmac_sha256_of_the_documented_canonical_json(log: AuditLog, seal: ChainSeal) -> None:
    record = log.append("auth.login", actor="ü-1", ip="::1", details={"b": 1.5, "a": "✓", "big": 1e20})

    content = {
        "action": "auth.login",
        "actor": "ü-1",
        "details": record.details,
        "ip": "::1",
        "occurred_at": "2025-01-31T23:59:59.123456+00:00",
        "prev_hash": GENESIS,
        "request_id": None,
        "target_id": None,
        "target_type": None,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert record.hash == hmac.new(seal.key, canonical.encode(), hashlib.sha256).hexdigest()
    assert record.hash != hashlib.sha256(canonical.encode()).hexdigest()  # v1, the scheme before the key
    assert log.verify().ok  # also after the database normalised the JSON


def test_details_must_be_json(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="not JSON compliant"):
        log.append("x", details={"n": float("nan")})
    with pytest.raises(TypeError):
        log.append("x", details={"when": datetime.now(UTC)})
    assert log.head() is None


def test_query_filters_by_actor_action_prefix_and_time(log: AuditLog) -> None:
    log.append("auth.login.failed", ip="198.51.100.1")
    log.append("auth.login", actor="alice")
    log.append("project.created", actor="alice", target_type="project", target_id="p1")
    log.append("auth_x", actor="bob")

    assert [r.action for r in log.query(actor="alice")] == ["project.created", "auth.login"]
    assert [r.action for r in log.query(action_prefix="auth.")] == ["auth.login", "auth.login.failed"]
    since = START + timedelta(seconds=2)
    assert [r.id for r in log.query(since=since, until=since + timedelta(seconds=2))] == [3, 2]
    assert [r.id for r in log.query(limit=2, offset=1)] == [3, 2]


def test_an_edited_row_is_reported_as_edited(engine: Engine, log: AuditLog) -> None:
    fill(log, 5)
    tamper(engine, "UPDATE {table} SET details = '{{\"forged\": true}}' WHERE id = 3")

    result = log.verify()

    assert (result.ok, result.problem, result.row_id, result.rows_checked, result.head_id) == (
        False,
        Problem.EDITED,
        3,
        2,
        2,
    )


def test_a_deleted_middle_row_is_reported_as_missing(engine: Engine, log: AuditLog) -> None:
    fill(log, 5)
    tamper(engine, "DELETE FROM {table} WHERE id = 3")

    result = log.verify()

    assert (result.problem, result.row_id, result.rows_checked) == (Problem.MISSING, 4, 2)
    assert "row 3 missing" in result.message


def test_a_deleted_first_row_is_reported_as_missing(engine: Engine, log: AuditLog) -> None:
    fill(log, 3)
    tamper(engine, "DELETE FROM {table} WHERE id = 1")

    result = log.verify()

    assert (result.problem, result.row_id, result.rows_checked, result.head_hash) == (Problem.MISSING, 2, 0, GENESIS)


def test_an_expected_head_missing_from_the_chain_is_reported(log: AuditLog) -> None:
    fill(log, 4)

    result = log.verify(expected_head="f" * 64)

    assert (result.problem, result.rows_checked, result.head_id) == (Problem.ANCHOR_MISSING, 4, 4)


def test_an_anchored_head_followed_by_more_rows_is_fine(log: AuditLog) -> None:
    fill(log, 2)
    head = log.head()
    assert head is not None
    fill(log, 2)

    assert log.verify(expected_head=head.hash).ok


def test_swapped_rows_are_reported_as_reordered(engine: Engine, log: AuditLog) -> None:
    fill(log, 4)
    tamper(
        engine,
        "UPDATE {table} SET id = -2 WHERE id = 2",
        "UPDATE {table} SET id = 2 WHERE id = 3",
        "UPDATE {table} SET id = 3 WHERE id = -2",
    )

    result = log.verify(batch_size=2)

    assert (result.problem, result.row_id, result.rows_checked) == (Problem.REORDERED, 2, 1)


def test_verify_takes_an_engine_a_connection_or_a_session(engine: Engine, log: AuditLog) -> None:
    fill(log, 2)

    with translated(engine).connect() as connection:
        assert verify(connection, seal=log._seal).rows_checked == 2
    with Session(translated(engine)) as session:
        assert verify(session, seal=log._seal).rows_checked == 2
    assert verify(engine, seal=log._seal).rows_checked == 2


def test_verify_streams_in_batches(log: AuditLog) -> None:
    fill(log, 7)

    for batch_size in (1, 3, 7, 100):
        assert log.verify(batch_size=batch_size).rows_checked == 7


@pytest.mark.parametrize("statement", ["UPDATE {table} SET action = 'x' WHERE id = 1", "DELETE FROM {table}"])
def test_the_database_refuses_to_change_audit_rows(engine: Engine, log: AuditLog, statement: str) -> None:
    fill(log, 2)
    table = "audits.audit_log" if engine.dialect.name == "postgresql" else "audit_log"

    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(text(statement.format(table=table)))

    assert log.verify().rows_checked == 2


@pytest.mark.integration
@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE audits.audit_log",
        "UPDATE audits_partitions.audit_log_y2025m01 SET actor = 'x'",
        "DELETE FROM audits_partitions.audit_log_y2025m01",
    ],
)
def test_postgres_refuses_truncate_and_changes_through_a_partition(
    postgres_engine: Engine, seal: ChainSeal, statement: str
) -> None:
    with AuditLog(postgres_engine, seal=seal, clock=Clock()) as log:
        fill(log, 1)

        with pytest.raises(DBAPIError, match="append-only"), postgres_engine.begin() as connection:
            connection.execute(text(statement))

        assert log.verify().rows_checked == 1


def test_concurrent_appends_keep_one_chain_and_the_anchor_at_its_head(engine: Engine, seal: ChainSeal) -> None:
    threads_count, each = 4, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def worker(n: int) -> None:
        try:
            with AuditLog(engine, seal=seal) as own:
                start.wait()
                for i in range(each):
                    own.append("project.updated", actor=f"thread-{n}", details={"i": i})
        except BaseException as err:  # noqa: BLE001  (reported by the assertion below)
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    result = verify(engine, seal=seal)
    assert (result.ok, result.rows_checked, result.head_id) == (True, threads_count * each, threads_count * each)
    anchor = seal.read(translated(engine).url)
    assert anchor is not None
    assert (anchor.head_id, anchor.head_hash, anchor.keyed_from) == (result.head_id, result.head_hash, 1)


@pytest.mark.integration
def test_postgres_creates_a_partition_per_month_on_demand(postgres_engine: Engine, seal: ChainSeal) -> None:
    engine = postgres_engine
    log = AuditLog(engine, seal=seal, clock=Clock())
    fill(log, 3)  # 23:59:59 on 31 January, then 00:00:00 and 00:00:01 on 1 February

    with engine.connect() as connection:
        partitions = (
            connection.execute(
                text(
                    "SELECT c.relnamespace::regnamespace::text || '.' || c.relname FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'audits.audit_log'::regclass "
                    "ORDER BY c.relname"
                )
            )
            .scalars()
            .all()
        )
        per_partition = connection.execute(
            text("SELECT count(*) FROM audits_partitions.audit_log_y2025m02")
        ).scalar_one()
    assert partitions == ["audits_partitions.audit_log_y2025m01", "audits_partitions.audit_log_y2025m02"]
    assert per_partition == 2
    assert log.verify().rows_checked == 3
    # A second AuditLog (no cached partitions) appends into an existing month.
    with AuditLog(engine, seal=seal, clock=lambda: datetime(2025, 2, 14, tzinfo=UTC)) as other:
        assert other.append("x").id == 4


def test_a_missing_table_is_a_store_error(tmp_path: Path) -> None:
    with AuditLog.from_url(f"sqlite:///{tmp_path / 'empty.db'}") as unmigrated, pytest.raises(StoreError):
        unmigrated.append("x")


def test_the_cli_returns_0_when_intact_and_1_when_tampered(capsys: pytest.CaptureFixture[str]) -> None:
    settings = get_settings()
    assert main(["audit", "verify"]) == 0  # migrates a new database, verifies an empty log
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with AuditLog(engine) as log:
            fill(log, 3)
            head = log.head()
        assert head is not None
        assert main(["audit", "verify", "--expected-head", head.hash]) == 0
        assert main(["audit", "verify", "--expected-head", "f" * 64]) == 1  # the anchor is not in the chain
        tamper(engine, "UPDATE {table} SET actor = 'mallory' WHERE id = 2")
        assert main(["audit", "verify"]) == 1
    finally:
        engine.dispose()

    out = capsys.readouterr().out
    assert "audit log intact: 3 rows" in out
    assert "TAMPERED (edited): row 2 does not match its hash" in out


def test_the_library_offers_no_way_to_change_a_row() -> None:
    assert {name for name in dir(AuditLog) if not name.startswith("_")} == {
        "append",
        "close",
        "from_url",
        "head",
        "query",
        "verify",
    }

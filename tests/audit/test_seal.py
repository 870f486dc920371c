"""The audit chain's seal: keyed (v2) hashes and the anchor outside the database catch what the chain alone
cannot (a cut tail, a chain rewritten with recomputed hashes), on SQLite and the real PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from pydantic import SecretStr
from sqlalchemy import Engine, insert, select

from reviewlab.audit import GENESIS, AuditLog, ChainSeal, Problem, row_hash
from reviewlab.audit.log import ensure_partition
from reviewlab.audit.models import AuditLogRow
from reviewlab.cli import main
from reviewlab.settings import Environment, Settings, get_settings
from reviewlab.store.connect import create_engine, translated
from tests._services import redis_namespace
from tests.audit.test_audit_log import START, Clock, engine, fill, postgres_engine, seal, tamper

__all__ = ["engine", "postgres_engine", "seal"]  # fixtures shared with test_audit_log

FIELDS = ("occurred_at", "actor", "action", "target_type", "target_id", "ip", "request_id", "details")


@pytest.fixture
def log(engine: Engine, seal: ChainSeal) -> AuditLog:
    return AuditLog(engine, seal=seal, clock=Clock())


def rows(engine: Engine) -> list[Any]:
    table = AuditLogRow.__table__
    with translated(engine).connect() as connection:
        return list(connection.execute(select(table).order_by(table.c.id)))


def rewrite_with_sha256(engine: Engine, *, forged: dict[int, str]) -> None:
    """Change the actor of some rows and recompute every hash with plain SHA-256 (no key), as a DBA could."""
    updates, previous = [], GENESIS
    for row in rows(engine):
        content = {name: getattr(row, name) for name in FIELDS} | {"actor": forged.get(row.id, row.actor)}
        recomputed = row_hash(**content, prev_hash=previous)
        values = f"actor = '{content['actor']}', prev_hash = '{previous}', hash = '{recomputed}'"
        updates.append(f"UPDATE {{table}} SET {values} WHERE id = {row.id}")  # noqa: S608 - digests, ids, test actors
        previous = recomputed
    tamper(engine, *updates)


def test_a_cut_tail_is_caught_without_an_expected_head(engine: Engine, log: AuditLog) -> None:
    fill(log, 4)
    tamper(engine, "DELETE FROM {table} WHERE id = 4")

    result = log.verify()

    assert (result.ok, result.problem, result.rows_checked, result.head_id) == (False, Problem.TRUNCATED, 3, 3)
    assert "row 4 was anchored" in result.message


def test_a_chain_rewritten_with_plain_sha256_is_caught(engine: Engine, log: AuditLog) -> None:
    fill(log, 4)

    rewrite_with_sha256(engine, forged={2: "mallory"})
    result = log.verify()

    assert (result.ok, result.problem, result.row_id, result.rows_checked) == (False, Problem.EDITED, 1, 0)


def test_a_rewrite_that_also_cuts_the_tail_is_caught(engine: Engine, log: AuditLog) -> None:
    fill(log, 3)
    tamper(engine, "DELETE FROM {table} WHERE id = 3")

    rewrite_with_sha256(engine, forged={})

    assert log.verify().problem is Problem.EDITED


def test_a_log_from_before_the_key_keeps_verifying_and_its_v1_rows_are_anchored(
    engine: Engine, seal: ChainSeal, caplog: pytest.LogCaptureFixture
) -> None:
    """Rows hashed with SHA-256 before the upgrade stay valid below ``keyed_from``; later ones must be keyed."""
    legacy, previous = [], GENESIS
    for number in (1, 2, 3):
        content: dict[str, Any] = dict.fromkeys(FIELDS) | {
            "occurred_at": START.replace(second=number),
            "action": f"legacy.{number}",
            "details": {},
        }
        digest = row_hash(**content, prev_hash=previous)
        legacy.append(content | {"id": number, "prev_hash": previous, "hash": digest})
        previous = digest
    with translated(engine).begin() as connection:
        if engine.dialect.name == "postgresql":
            ensure_partition(connection, START)
        connection.execute(insert(AuditLogRow), legacy)
    log = AuditLog(engine, seal=seal, clock=Clock())

    assert log.verify().problem is Problem.UNANCHORED  # nothing outside the database vouches for them yet
    fill(log, 2)

    anchor = seal.read(translated(engine).url)
    assert anchor is not None
    assert (anchor.head_id, anchor.keyed_from) == (5, 4)
    result = log.verify()
    assert (result.ok, result.rows_checked) == (True, 5)
    rewrite_with_sha256(engine, forged={1: "mallory"})
    assert log.verify().problem is Problem.EDITED  # row 4 is due a keyed hash


def test_an_edited_anchor_is_refused_and_a_lost_one_is_written_again(
    engine: Engine, seal: ChainSeal, log: AuditLog, caplog: pytest.LogCaptureFixture
) -> None:
    fill(log, 3)
    path = seal.anchor_path(translated(engine).url)
    path.write_text(path.read_text().replace('"head_id": 3', '"head_id": 2'))

    assert log.verify().problem is Problem.ANCHOR_INVALID
    path.unlink()
    assert log.verify().problem is Problem.UNANCHORED

    with caplog.at_level(logging.ERROR):
        fill(log, 1)  # the next append anchors the log again, finding where keyed rows begin

    anchor = seal.read(translated(engine).url)
    assert anchor is not None
    assert (anchor.head_id, anchor.keyed_from) == (4, 1)
    assert log.verify().ok


def test_the_anchor_never_moves_back(engine: Engine, seal: ChainSeal, log: AuditLog) -> None:
    fill(log, 3)
    url = translated(engine).url
    with translated(engine).connect() as connection:
        first = connection.execute(select(AuditLogRow.__table__).where(AuditLogRow.__table__.c.id == 1)).one()

    seal.advance(url, 1, first.hash, lambda: 1)  # a slower appender of row 1 reaching the anchor last

    anchor = seal.read(url)
    assert anchor is not None
    assert anchor.head_id == 3


def test_an_anchor_that_cannot_be_written_does_not_lose_the_row(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    log = AuditLog(engine, seal=ChainSeal(b"k" * 32, blocked / "anchors"), clock=Clock())

    with caplog.at_level(logging.ERROR):
        record = log.append("auth.login")

    assert record.id == 1
    assert "could not anchor audit row 1" in caplog.text
    assert log.verify().problem is Problem.UNANCHORED


def test_each_database_has_its_own_anchor(tmp_path: Path, seal: ChainSeal) -> None:
    one, two = create_engine(f"sqlite:///{tmp_path / 'one.db'}"), create_engine(f"sqlite:///{tmp_path / 'two.db'}")
    assert seal.anchor_path(one.url) != seal.anchor_path(two.url)
    one.dispose()
    two.dispose()


def test_the_key_must_be_long_enough(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        ChainSeal(b"short", tmp_path)


def test_the_cli_catches_a_cut_tail_and_a_sha256_rewrite(capsys: pytest.CaptureFixture[str]) -> None:
    settings = get_settings()
    assert main(["audit", "verify"]) == 0  # migrates a new database, verifies an empty log
    engine = create_engine(settings.sqlalchemy_url)
    try:
        log = AuditLog(engine, seal=ChainSeal.from_settings(settings))
        fill(log, 3)
        assert main(["audit", "verify"]) == 0
        tamper(engine, "DELETE FROM {table} WHERE id = 3")
        assert main(["audit", "verify"]) == 1
        out = capsys.readouterr().out
        assert "TAMPERED (truncated): the chain ends at row 2 but row 3 was anchored" in out
        rewrite_with_sha256(engine, forged={2: "mallory"})
        assert main(["audit", "verify"]) == 1
        assert "TAMPERED (edited): row 1 does not match its hash" in capsys.readouterr().out
    finally:
        engine.dispose()


# -- the anchor in Redis: one for every host appending to the database ---------------------------------------------


@pytest.fixture
def redis_seals(tmp_path: Path) -> Iterator[Callable[[str], ChainSeal]]:
    """Seals of several hosts (each its own data directory) over one Redis, as API pods and workers are."""
    with redis_namespace() as (client, prefix):

        def host(name: str) -> ChainSeal:
            key = b"audit-key-of-this-test-".ljust(32, b".")
            return ChainSeal(key, tmp_path / name, redis_client=client, redis_prefix=prefix)

        yield host


@pytest.mark.integration
def test_hosts_sharing_redis_share_one_anchor(engine: Engine, redis_seals: Callable[[str], ChainSeal]) -> None:
    api, worker, auditor = redis_seals("api-pod"), redis_seals("worker-pod"), redis_seals("admin-laptop")
    fill(AuditLog(engine, seal=api, clock=Clock()), 2)
    fill(AuditLog(engine, seal=worker, clock=Clock()), 2)  # the worker appends last

    assert AuditLog(engine, seal=auditor).verify().ok  # a host that never appended checks the whole log
    assert not api.directory.exists()  # no anchor file on any host
    assert not worker.directory.exists()
    anchor = auditor.read(translated(engine).url)
    assert anchor is not None
    assert anchor.head_id == 4

    tamper(engine, "DELETE FROM {table} WHERE id = 4")  # the worker's last row: the API pod never saw it
    result = AuditLog(engine, seal=api).verify()

    assert (result.ok, result.problem) == (False, Problem.TRUNCATED)


@pytest.mark.integration
def test_the_redis_anchor_never_moves_back_and_refuses_a_forgery(
    engine: Engine, redis_seals: Callable[[str], ChainSeal]
) -> None:
    seal = redis_seals("host")
    log = AuditLog(engine, seal=seal, clock=Clock())
    fill(log, 3)
    url = translated(engine).url

    seal.advance(url, 1, "0" * 64, lambda: 1)  # a slower appender of row 1 reaching the anchor last
    anchor = seal.read(url)
    assert anchor is not None
    assert anchor.head_id == 3

    assert seal.redis is not None
    seal.redis.set(seal.anchor_key(url), json.dumps({"head_id": 1, "head_hash": "x", "keyed_from": 1, "mac": "y"}))
    result = log.verify()
    assert (result.ok, result.problem) == (False, Problem.ANCHOR_INVALID)


def test_a_redis_outage_does_not_lose_the_row(engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    down = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2)
    log = AuditLog(engine, seal=ChainSeal(b"k" * 32, tmp_path, redis_client=down), clock=Clock())

    with caplog.at_level(logging.ERROR):
        record = log.append("auth.login")

    assert record.id == 1
    assert "could not anchor audit row 1" in caplog.text


# -- the key: AUDIT_SECRET_KEY, else derived from CSRF_SECRET_KEY -------------------------------------------------


def test_the_audit_key_outlives_a_csrf_key_rotation(engine: Engine, tmp_path: Path) -> None:
    home = tmp_path / "home"
    before = Settings(reviewlab_home=home, csrf_secret_key=SecretStr("c" * 40), audit_secret_key=SecretStr("a" * 40))
    fill(AuditLog(engine, seal=ChainSeal.from_settings(before), clock=Clock()), 3)
    rotated = before.model_copy(update={"csrf_secret_key": SecretStr("d" * 40)})

    assert AuditLog(engine, seal=ChainSeal.from_settings(rotated)).verify().ok
    without = before.model_copy(update={"audit_secret_key": SecretStr("")})  # the key derived from CSRF instead
    assert ChainSeal.from_settings(without).key != ChainSeal.from_settings(before).key
    assert not AuditLog(engine, seal=ChainSeal.from_settings(without)).verify().ok


def test_an_audit_key_that_is_set_must_be_strong() -> None:
    with pytest.raises(ValueError, match="AUDIT_SECRET_KEY"):
        Settings(environment=Environment.PRODUCTION, audit_secret_key=SecretStr("change-me"), **STRONG)
    assert Settings(environment=Environment.PRODUCTION, **STRONG).audit_secret_key.get_secret_value() == ""


STRONG: dict[str, Any] = {"jwt_secret_key": SecretStr("j" * 40), "csrf_secret_key": SecretStr("c" * 40)}


def test_seals_made_from_settings_share_one_redis_client_per_url(tmp_path: Path) -> None:
    settings = Settings(
        reviewlab_home=tmp_path, audit_secret_key=SecretStr("a" * 40), redis_url="redis://127.0.0.1:1/3"
    )

    first, second = ChainSeal.from_settings(settings), ChainSeal.from_settings(settings)
    other = ChainSeal.from_settings(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/4"}))

    assert first.redis is not None
    assert first.redis is second.redis  # one connection pool per process, not one per audit log
    assert other.redis is not first.redis

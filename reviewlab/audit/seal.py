"""The audit chain's seal: the key of its v2 hashes and the anchor of its head, both outside the database.

Threat: someone with write access to the database (a DBA, a stolen database password, a restored backup) but
not to the platform's secrets and data directory. They can delete the newest rows, or rewrite the log and
recompute every hash; the chain alone cannot tell either from an intact log.

- The key is HKDF-derived (label ``reviewlab/audit/v2``) from ``AUDIT_SECRET_KEY``, or from ``CSRF_SECRET_KEY``
  when that is unset (in development, the random one stored in ``$REVIEWLAB_HOME/secrets``), so rows hashed with
  it cannot be recomputed without the secret. Every process appending to one database (API, workers) needs the
  same secret. Set ``AUDIT_SECRET_KEY`` in production: rotating the CSRF secret then leaves the chain alone.
- The anchor holds the head's id and hash and ``keyed_from`` (the first v2 row; rows below it predate the key),
  HMAC-signed with the key. With ``REDIS_URL`` it is a Redis key every API pod and worker shares (so each
  append, wherever it ran, advances the one anchor); without, the file ``$REVIEWLAB_HOME/audit/anchor-<database>
  .json`` (one host: the embedded platform). Every append advances it (never backwards) after its commit;
  ``verify`` requires the anchored row to be present with the anchored hash.

What it leaves open: rows appended after the anchor's last advance (a crash between commit and anchor write)
can be cut; someone who also holds the secret and the data directory can rewrite everything. Restoring a
database backup is a cut tail too: move the anchor file aside after checking the restored log.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import hmac
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis
from sqlalchemy.engine import URL

from reviewlab.security.keys import derive_key, settings_secret
from reviewlab.settings import Settings

log = logging.getLogger(__name__)

AUDIT_KEY_LABEL = "reviewlab/audit/v2"
REDIS_PREFIX = "reviewlab:audit:"
_ADVANCE_ATTEMPTS = 50  # optimistic transactions against concurrent appenders before giving up on this advance


@functools.lru_cache(maxsize=8)
def _redis_client(url: str) -> redis.Redis:
    """One client (and connection pool) per Redis URL and process, shared by every audit log it makes: a log is
    made per analysis and per request handler's store. redis-py clients are thread-safe and reset their pool
    in a forked child."""
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)


class AnchorInvalid(ValueError):
    """The anchor file is not one the key signed (edited, forged or corrupt)."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """The newest row the appenders vouch for, and where the keyed (v2) rows begin."""

    head_id: int
    head_hash: str
    keyed_from: int


class ChainSeal:
    """The key of the v2 row hashes and the anchors of the audit logs (one per database) in ``directory``."""

    def __init__(
        self, key: bytes, directory: Path, *, redis_client: redis.Redis | None = None, redis_prefix: str = REDIS_PREFIX
    ) -> None:
        """Anchors in Redis when ``redis_client`` is given (shared by every host; keys start ``redis_prefix``),
        else as files in ``directory``."""
        if len(key) < 32:
            raise ValueError("the audit key must have at least 32 bytes")
        self.key = key
        self.directory = directory
        self.redis = redis_client
        self.redis_prefix = redis_prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> ChainSeal:
        """The key derived from ``AUDIT_SECRET_KEY`` (else ``CSRF_SECRET_KEY``); anchors in Redis when ``REDIS_URL``
        is set, else under ``$REVIEWLAB_HOME/audit``."""
        configured = settings.audit_secret_key.get_secret_value()
        secret = configured.encode("utf-8") if configured else settings_secret(settings, "csrf_secret_key")
        client = _redis_client(settings.redis_url) if settings.redis_url else None
        return cls(derive_key(secret, AUDIT_KEY_LABEL), settings.reviewlab_home / "audit", redis_client=client)

    def anchor_name(self, url: URL) -> str:
        """The anchor's name for the database at ``url`` (the password is not part of its identity)."""
        identity = url.render_as_string(hide_password=True)
        return f"anchor-{hashlib.sha256(identity.encode()).hexdigest()[:16]}"

    def anchor_path(self, url: URL) -> Path:
        """Where the anchor of ``url``'s log is kept without Redis."""
        return self.directory / f"{self.anchor_name(url)}.json"

    def anchor_key(self, url: URL) -> str:
        """The Redis key of the anchor of ``url``'s log."""
        return self.redis_prefix + self.anchor_name(url)

    def read(self, url: URL) -> Anchor | None:
        """The anchor of ``url``'s log, None when there is none yet; ``AnchorInvalid`` when it does not verify."""
        if self.redis is not None:
            return self._parse(self._load_redis(self.redis, url), f"Redis key {self.anchor_key(url)}")
        path = self.anchor_path(url)
        try:
            raw = path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as err:
            raise AnchorInvalid(f"the audit anchor {path} cannot be read: {err}") from err
        return self._parse(raw, str(path))

    def _load_redis(self, client: redis.Redis | redis.client.Pipeline, url: URL) -> str | None:
        try:
            raw = client.get(self.anchor_key(url))
        except redis.RedisError as err:
            raise AnchorInvalid(f"the audit anchor {self.anchor_key(url)} cannot be read: {err}") from err
        if raw is None:
            return None
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    def _parse(self, raw: str | None, where: str) -> Anchor | None:
        if raw is None:
            return None
        try:
            stored = json.loads(raw)
            anchor = Anchor(int(stored["head_id"]), str(stored["head_hash"]), int(stored["keyed_from"]))
            signature = str(stored["mac"])
        except (ValueError, KeyError, TypeError) as err:
            raise AnchorInvalid(f"the audit anchor {where} is corrupt: {err}") from err
        if not hmac.compare_digest(signature, self._mac(anchor)):
            raise AnchorInvalid(f"the audit anchor {where} does not carry the audit key's signature (edited or forged)")
        return anchor

    def advance(self, url: URL, head_id: int, head_hash: str, keyed_from: Callable[[], int]) -> None:
        """Anchor ``url``'s log at ``(head_id, head_hash)`` unless it is anchored at a newer row already.

        ``keyed_from`` is asked only when there is no valid anchor to carry it over (a first append, or an
        anchor lost). The file is locked for the read and replaced atomically, so concurrent appenders in any
        process never move it backwards."""
        if self.redis is not None:
            self._advance_redis(self.redis, url, head_id, head_hash, keyed_from)
            return
        path = self.anchor_path(url)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                current = self.read(url)
            except AnchorInvalid as err:
                log.error("%s; anchoring the log anew", err)
                current = None
            if current is not None and current.head_id >= head_id:
                return
            anchor = Anchor(head_id, head_hash, current.keyed_from if current is not None else keyed_from())
            self._write(path, anchor)

    def _advance_redis(
        self, client: redis.Redis, url: URL, head_id: int, head_hash: str, keyed_from: Callable[[], int]
    ) -> None:
        """``advance`` as an optimistic transaction (WATCH/MULTI): of concurrent appenders the newest head wins."""
        key = self.anchor_key(url)
        with client.pipeline() as pipe:
            for _ in range(_ADVANCE_ATTEMPTS):
                try:
                    pipe.watch(key)  # type: ignore[no-untyped-call]  # redis-py leaves watch() unannotated
                    try:
                        current = self._parse(self._load_redis(pipe, url), f"Redis key {key}")
                    except AnchorInvalid as err:
                        log.error("%s; anchoring the log anew", err)
                        current = None
                    if current is not None and current.head_id >= head_id:
                        pipe.unwatch()
                        return
                    anchor = Anchor(head_id, head_hash, current.keyed_from if current is not None else keyed_from())
                    pipe.multi()
                    pipe.set(key, self._body(anchor))
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue  # another appender moved it meanwhile: read it again
        log.warning("the audit anchor %s was not advanced to row %d: too many concurrent appenders", key, head_id)

    def _body(self, anchor: Anchor) -> str:
        return json.dumps(
            {
                "head_id": anchor.head_id,
                "head_hash": anchor.head_hash,
                "keyed_from": anchor.keyed_from,
                "mac": self._mac(anchor),
            }
        )

    def _write(self, path: Path, anchor: Anchor) -> None:
        body = json.loads(self._body(anchor))
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")  # mode 0600
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(body, handle)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise

    def _mac(self, anchor: Anchor) -> str:
        content = f"{anchor.head_id}:{anchor.head_hash}:{anchor.keyed_from}".encode()
        return hmac.new(self.key, b"reviewlab/audit/anchor\x00" + content, hashlib.sha256).hexdigest()

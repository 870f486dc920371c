"""What the HTTP providers share: keys, deadlines, Retry-After, and the HTTP status -> declared failure table.

The table, for every provider (each adds its own wording for 404):

    401, 403     ProviderMisconfigured   "key rejected (HTTP 401)"  (the body is not quoted: it may echo the key)
    404          ProviderMisconfigured   the model is not there (Ollama: not pulled on that host)
    408          ProviderTimeout         the server gave up waiting
    429          RateLimited             with Retry-After parsed (seconds or an HTTP date)
    other 4xx    ProviderMisconfigured   "request refused (HTTP 400): ..."  (the same request would fail again)
    5xx          ProviderUnavailable     "server error (HTTP 503): ..."

ProviderMisconfigured (a ProviderUnavailable) is for what a retry cannot fix: the orchestrator falls back
at once. A missing key is ProviderMisconfigured too.

Transport failures map the same way for the ``httpx`` (Ollama) and ``httpx2`` (OpenAI, Anthropic) clients:
no connection (refused, DNS, connect timeout) -> ProviderUnavailable; a read timeout -> ProviderTimeout; a
connection that breaks mid-answer -> InvalidAnswer (the answer is truncated).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import httpx2
from pydantic import SecretStr

from reviewlab.ai.base import (
    InvalidAnswer,
    ProviderError,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)

NO_KEY = "no API key configured"
_DETAIL_LIMIT = 200

_NO_CONNECTION = (httpx.ConnectError, httpx.ConnectTimeout, httpx2.ConnectError, httpx2.ConnectTimeout)
_TIMEOUTS = (httpx.TimeoutException, httpx2.TimeoutException)
# What the two HTTP clients raise for a failed exchange (network, protocol, decoding). Their StreamError
# family means a stream was misused, a programming error, so it is left out.
HTTP_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)


def secret_text(key: SecretStr | str | None) -> str | None:
    """The key's value, or None when there is none (unset or blank)."""
    value = key.get_secret_value() if isinstance(key, SecretStr) else key
    value = (value or "").strip()
    return value or None


def clip(text: str) -> str:
    """A server's message, short enough for an error line."""
    text = " ".join(str(text).split())
    return text if len(text) <= _DETAIL_LIMIT else text[: _DETAIL_LIMIT - 3] + "..."


class Redactor:
    """Keeps a key out of a message (a server may echo what it was sent) and clips it."""

    def __init__(self, secret: str | None) -> None:
        self._secret = secret

    def __call__(self, text: str) -> str:
        if self._secret:
            text = str(text).replace(self._secret, "***")
        return clip(text)


def reported(count: object, estimate: int) -> int:
    """A token count as the provider reported it, or the estimate when it reported none (or nonsense)."""
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        return count
    return estimate


def model_ids(items: object) -> tuple[str, ...]:
    """The ``id`` of each model in a model list page's ``data``, skipping anything that is not a model."""
    if not isinstance(items, list):
        return ()
    ids = (getattr(item, "id", None) for item in items)
    return tuple(i for i in ids if isinstance(i, str) and i)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds from now, given as seconds or as an HTTP date (RFC 9110); None when unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def status_failure(
    provider: str, status: int, detail: str, *, not_found: str, retry_after: str | None = None
) -> ProviderError:
    """The declared failure for an HTTP error status (see the module's table); ``detail`` is already redacted."""
    suffix = f": {detail}" if detail else ""
    if status in (401, 403):
        return ProviderMisconfigured(provider, f"key rejected (HTTP {status})")
    if status == 404:
        return ProviderMisconfigured(provider, f"{not_found} (HTTP 404)")
    if status == 408:
        return ProviderTimeout(provider, f"the server timed out (HTTP 408){suffix}")
    if status == 429:
        wait = retry_after_seconds(retry_after)
        hint = f", retry after {wait:g} s" if wait is not None else ""
        return RateLimited(provider, f"rate limited (HTTP 429){hint}{suffix}", retry_after_s=wait)
    if status >= 500:
        return ProviderUnavailable(provider, f"server error (HTTP {status}){suffix}")
    return ProviderMisconfigured(provider, f"request refused (HTTP {status}){suffix}")


def is_no_connection(err: BaseException) -> bool:
    """Whether ``err`` means the server was never reached (nothing was sent, so another host may be tried)."""
    return isinstance(err, _NO_CONNECTION)


def transport_failure(provider: str, err: BaseException, where: str = "") -> ProviderError:
    """The declared failure for a transport error of either HTTP client."""
    at = f" at {where}" if where else ""
    if is_no_connection(err):
        return ProviderUnavailable(provider, f"not reachable{at}: {type(err).__name__}: {err}")
    if isinstance(err, _TIMEOUTS):
        return ProviderTimeout(provider, f"no answer in time{at} ({type(err).__name__})")
    return InvalidAnswer(provider, f"the connection broke before the answer was complete{at}: {type(err).__name__}")


class Deadline:
    """A call's whole time budget: a stream that keeps trickling still ends at ``timeout_s``."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def check(self, provider: str) -> None:
        if self.elapsed() > self.timeout_s:
            raise ProviderTimeout(provider, f"no complete answer within {self.timeout_s:g} s")

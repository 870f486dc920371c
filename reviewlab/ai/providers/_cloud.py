"""What the SDK-backed cloud providers (``openai``, ``anthropic``) share: the key and the client, health, the
calls' error handling and the translation of SDK errors to declared failures.

Both SDKs are generated alike and raise errors of the same names: ``APITimeoutError`` (no answer in time),
``APIConnectionError`` (the HTTP client's error as its ``__cause__``), ``APIStatusError`` (an error status)
and ``APIError`` (an error event inside a stream, a body the SDK could not read). A provider names its
SDK's classes in :class:`SDKErrors` and reads its error statuses in ``_status_failure``; the status table
itself is ``_http``'s. What a provider sends and how it reads an answer stay in its own module.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, TypeVar

import httpx2
import pydantic
from pydantic import SecretStr

from reviewlab.ai.base import (
    Health,
    InvalidAnswer,
    ProviderError,
    ProviderKind,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    estimate_tokens,
)
from reviewlab.ai.providers._http import (
    HTTP_ERRORS,
    NO_KEY,
    Redactor,
    model_ids,
    secret_text,
    status_failure,
    transport_failure,
)


class _Client(Protocol):
    def close(self) -> None: ...


class _CarriesMessage(Protocol):
    message: str


ClientT = TypeVar("ClientT", bound=_Client)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SDKErrors:
    """The error classes of one SDK (see the module's docstring)."""

    root: type[Exception]  # everything the SDK raises on purpose
    timeout: type[Exception]
    connection: type[Exception]
    api: type[_CarriesMessage]

    @property
    def caught(self) -> tuple[type[Exception], ...]:
        """What a call may raise that is a declared failure: the SDK's errors, and what escapes it while decoding
        a body that is not JSON (its streams also let the HTTP client's own errors through)."""
        return (self.root, *HTTP_ERRORS, json.JSONDecodeError, pydantic.ValidationError)


class CloudProvider(ABC, Generic[ClientT]):
    """A cloud API reached through its SDK with the user's key; code leaves the machine. Without a key the
    provider exists but is not usable. SDK retries are off: the orchestrator retries.

    A subclass sets ``name``, ``errors`` and the defaults ``default_model`` and ``base_url``."""

    name: str
    kind = ProviderKind.CLOUD
    errors: ClassVar[SDKErrors]
    default_model: str
    base_url: str

    def __init__(
        self,
        api_key: SecretStr | str | None,
        default_model: str | None = None,
        timeout_s: float = 10.0,
        *,
        base_url: str | None = None,
    ) -> None:
        """``timeout_s`` bounds a health check; a call is bounded by its request's ``timeout_s``."""
        key = secret_text(api_key)
        if default_model is not None:
            self.default_model = default_model
        self.timeout_s = timeout_s
        self.base_url = base_url or self.base_url
        self._redact = Redactor(key)
        self._client: ClientT | None = None if key is None else self._connect(key)

    @property
    def configured(self) -> bool:
        return self._client is not None

    # -- what each provider says about its SDK -------------------------------------------------------------

    @abstractmethod
    def _connect(self, key: str) -> ClientT:
        """The SDK's client for ``base_url`` with ``key``, its retries off."""

    @abstractmethod
    def _list_models(self, client: ClientT) -> object:
        """A page of the API's model list (its ``data`` holds the models), within ``timeout_s``."""

    @abstractmethod
    def _status_failure(self, err: Exception, model: str) -> ProviderError | None:
        """The declared failure for an error status of the SDK (with ``_status``); None for any other error."""

    # -- the Provider protocol, but for chat and stream --------------------------------------------------

    def health(self) -> Health:
        if self._client is None:
            return Health(self.name, ok=False, latency_s=0.0, detail=NO_KEY)
        started = time.perf_counter()
        try:
            page = self._list_models(self._client)
        except self.errors.caught as err:
            failure = self._failure(err, "")
            return Health(self.name, ok=False, latency_s=time.perf_counter() - started, detail=failure.message)
        models = model_ids(getattr(page, "data", None))
        return Health(self.name, ok=True, latency_s=time.perf_counter() - started, detail=self.base_url, models=models)

    def count_tokens(self, text: str, model: str) -> int:
        return estimate_tokens(text)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- calls -------------------------------------------------------------------------------------------

    def _begin(self, model: str) -> tuple[ClientT, str]:
        """The client for a call (``ProviderMisconfigured`` without a key) and its model (``""``: the default)."""
        if self._client is None:
            raise ProviderMisconfigured(self.name, NO_KEY)
        return self._client, model or self.default_model

    def _send(self, model: str, call: Callable[[], T]) -> T:
        """``call``'s result (one request to the API), its SDK errors raised as declared failures."""
        try:
            return call()
        except self.errors.caught as err:
            raise self._failure(err, model) from err

    def _events(self, stream: Iterable[T], model: str) -> Iterator[T]:
        """The events of a stream as they come, its SDK errors raised as declared failures."""
        events = iter(stream)
        while True:
            try:
                event = next(events, None)
            except self.errors.caught as err:
                raise self._failure(err, model) from err
            if event is None:
                return
            yield event

    def _empty(self, model: str) -> InvalidAnswer:
        return InvalidAnswer(self.name, f"{model} answered with empty content")

    # -- failures ----------------------------------------------------------------------------------------

    def _failure(self, err: Exception, model: str) -> ProviderError:
        """The declared failure for one of ``errors.caught``; ``model`` is the one a 404 did not find."""
        errors = self.errors
        if isinstance(err, errors.timeout):
            return ProviderTimeout(self.name, f"no answer in time from {self.base_url}")
        if isinstance(err, errors.connection):
            cause = err.__cause__
            if isinstance(cause, HTTP_ERRORS):
                return transport_failure(self.name, cause, self.base_url)
            return ProviderUnavailable(self.name, f"not reachable at {self.base_url}")
        status = self._status_failure(err, model)
        if status is not None:
            return status
        if isinstance(err, errors.api):  # an error event inside a stream, a body the SDK could not read
            return InvalidAnswer(self.name, f"the answer carried an error: {self._redact(err.message)}")
        if isinstance(err, HTTP_ERRORS):
            return transport_failure(self.name, err, self.base_url)
        if isinstance(err, json.JSONDecodeError):
            return InvalidAnswer(self.name, f"the body is not JSON: {err.msg}")
        if isinstance(err, pydantic.ValidationError):
            return InvalidAnswer(self.name, f"the body lacks fields ({err.error_count()} errors)")
        return ProviderUnavailable(self.name, f"{type(err).__name__}: {self._redact(str(err))}")

    def _status(self, status: int, detail: str, model: str, response: httpx2.Response) -> ProviderError:
        """The declared failure for HTTP ``status`` with the server's message ``detail`` (not yet redacted)."""
        return status_failure(
            self.name,
            status,
            self._redact(detail),
            not_found=f"model {model!r} not found at {self.base_url}" if model else f"not found at {self.base_url}",
            retry_after=response.headers.get("retry-after"),
        )

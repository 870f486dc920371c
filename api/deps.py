"""The API's dependencies, as named aliases route handlers declare (``settings: SettingsDep``)."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

from reviewlab.settings import Settings
from reviewlab.store import Store, open_store


class StoreProvider:
    """The app's one store, opened (and migrated) on first use, so the app starts while the database is down.

    A failed open is not remembered: the next request tries again, and readiness recovers by itself.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._store: Store | None = None
        self._lock = threading.Lock()

    def get(self) -> Store:
        """The open store; a ``StoreError`` when it cannot be opened."""
        with self._lock:
            if self._store is None:
                self._store = open_store(self._settings)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_store_provider(request: Request) -> StoreProvider:
    """The app's store provider (readiness asks it directly, to report a failed open as a failed check)."""
    provider: StoreProvider = request.app.state.store_provider
    return provider


def get_store(provider: Annotated[StoreProvider, Depends(get_store_provider)]) -> Store:
    """The app's operational store; failing to open it answers 503 (see ``api.problems``)."""
    return provider.get()


SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreProviderDep = Annotated[StoreProvider, Depends(get_store_provider)]
StoreDep = Annotated[Store, Depends(get_store)]

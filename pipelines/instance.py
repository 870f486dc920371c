"""The Dagster instance for reviewlab, decided by the same settings object as the library.

``prepare_dagster_home(settings, home)`` writes ``home/dagster.yaml``: telemetry off, and run, event-log
and schedule storage in SQLite files under ``home`` (the embedded default) or, when ``DATABASE_URL``
names PostgreSQL, in that database's ``dagster`` schema through ``dagster-postgres``. The URL never
lands in the file: the file reads it from ``DAGSTER_POSTGRES_URL``, which :func:`dagster_environment`
sets for the processes it starts (``dagster dev``, the daemon, tests).

    python -m pipelines.instance            # prepares $DAGSTER_HOME (default: REVIEWLAB_HOME/dagster)
    eval "$(python -m pipelines.instance --shell)"   # ... and exports its environment (make run does)
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from reviewlab.settings import Settings, get_settings

POSTGRES_URL_ENV = "DAGSTER_POSTGRES_URL"
DAGSTER_SCHEMA = "dagster"


def default_home(settings: Settings) -> Path:
    """Where the instance lives unless DAGSTER_HOME says otherwise: under the platform's data directory."""
    return settings.reviewlab_home / "dagster"


def dagster_postgres_url(settings: Settings) -> str | None:
    """The store's PostgreSQL URL as dagster-postgres takes it, or None.

    dagster-postgres is written for psycopg2 (it binds ``NOTIFY`` arguments client-side), while SQLAlchemy
    2.1 picks psycopg 3 for a bare ``postgresql://``; so the driver is named.
    """
    if not settings.database_url:
        return None
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() != "postgresql":
        return None
    # Dagster's tables (and its own alembic_version) live in their own schema, apart from reviewlab's.
    url = url.set(drivername="postgresql+psycopg2").update_query_dict({"options": f"-csearch_path={DAGSTER_SCHEMA}"})
    return url.render_as_string(hide_password=False)


def ensure_dagster_schema(settings: Settings) -> None:
    """Create the ``dagster`` schema in the store's PostgreSQL database (Dagster creates its tables in it)."""
    url = dagster_postgres_url(settings)
    if url is None:
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(make_url(url).set(query={}))
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{DAGSTER_SCHEMA}"'))
    finally:
        engine.dispose()


def instance_config(settings: Settings) -> dict[str, object]:
    """The instance configuration for ``settings``."""
    config: dict[str, object] = {"telemetry": {"enabled": False}}
    if dagster_postgres_url(settings) is not None:
        config["storage"] = {"postgres": {"postgres_url": {"env": POSTGRES_URL_ENV}}}
    # Without a storage key Dagster keeps SQLite run, event-log and schedule storage under the instance directory.
    return config


def prepare_dagster_home(settings: Settings, home: Path | None = None, *, create_schema: bool = True) -> Path:
    """Write the instance's ``dagster.yaml`` into ``home`` (created if needed) and, on PostgreSQL, create the
    ``dagster`` schema (``create_schema=False`` only writes the file); returns the directory."""
    home = home if home is not None else default_home(settings)
    home.mkdir(parents=True, exist_ok=True)
    if create_schema:
        ensure_dagster_schema(settings)
    text = "# Written by pipelines/instance.py from reviewlab's settings; edits are overwritten.\n"
    text += yaml.safe_dump(instance_config(settings), sort_keys=True)
    target = home / "dagster.yaml"
    temporary = target.with_suffix(".yaml.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)
    return home


def dagster_environment(settings: Settings, home: Path) -> dict[str, str]:
    """Environment variables for Dagster processes on this instance."""
    env = {"DAGSTER_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    url = dagster_postgres_url(settings)
    if url is not None:
        env[POSTGRES_URL_ENV] = url
    return env


def main(argv: list[str] | None = None) -> int:
    """Prepare the instance; ``--shell`` prints ``export`` lines of its environment for ``eval``."""
    args = sys.argv[1:] if argv is None else argv
    settings = get_settings()
    home = Path(os.environ["DAGSTER_HOME"]) if os.environ.get("DAGSTER_HOME") else default_home(settings)
    prepare_dagster_home(settings, home)
    if "--shell" in args:
        for name, value in dagster_environment(settings, home).items():
            sys.stdout.write(f"export {name}={shlex.quote(value)}\n")
        return 0
    storage = "PostgreSQL (DATABASE_URL)" if dagster_postgres_url(settings) else "SQLite under the instance"
    sys.stdout.write(f"Dagster instance in {home}: {storage}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

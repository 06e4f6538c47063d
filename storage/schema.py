"""Database creation and migration (Alembic), and the guard against a stale schema."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# The newest migration's revision. Every command checks the schema against it; reading it
# from the migration scripts would cost an Alembic environment (~0.2 s) per process.
# tests/test_storage.py keeps it equal to Alembic's head.
SCHEMA_REVISION = "0005"


class SchemaOutdated(RuntimeError):
    """The database exists at an older (or unknown) schema: only `policywatch init` upgrades it."""


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config_for_scripts()).get_current_head()
    assert head is not None
    return head


def alembic_config_for_scripts() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def current_revision(engine: Engine) -> str | None:
    """The schema revision recorded in the database (None for a new database)."""
    if "alembic_version" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Create or upgrade to head; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    cfg = alembic_config(engine)
    with engine.connect() as conn:
        # SQLite alters a table by rebuilding it (copy, drop, rename), which foreign keys
        # forbid for a referenced table: they are off while migrating (the pragma only works
        # outside a transaction) and every reference is checked before the commit.
        raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                if raw is not None and conn.exec_driver_sql("PRAGMA foreign_key_check").first():
                    raise RuntimeError("the migration left rows whose foreign keys point nowhere")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")
    return before, head_revision()


def check_drift(engine: Engine) -> None:
    """Raise if the models and the migrations disagree (what `alembic check` does)."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)


def _recorded_revision(engine: Engine) -> str | None:
    """The revision in alembic_version, in one query; None when that table does not exist."""
    with engine.connect() as conn:  # a database that cannot be reached fails here, once
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except DBAPIError:
            conn.rollback()
    return current_revision(engine)  # no such table: a new database, or not ours


def ensure_schema(engine: Engine) -> None:
    """Create a database that does not exist yet; refuse to touch one at an older schema.

    A database at the current schema costs one query."""
    revision = _recorded_revision(engine)
    if revision is None:
        if inspect(engine).get_table_names():
            raise SchemaOutdated(
                "the database has tables but no policywatch schema version: run `policywatch init`"
            )
        upgrade(engine)
        return
    if revision != SCHEMA_REVISION:
        raise SchemaOutdated(
            f"the database schema is at {revision}, this policywatch needs {SCHEMA_REVISION}: "
            "run `policywatch init`"
        )

"""Apply Alembic migrations from code (the run command, the CLI and the tests use this)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    """Return an Alembic config for a database URL, without an alembic.ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest)."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


UPGRADE_COMMAND = "flask --app wsgi db upgrade"


@functools.cache
def _revisions() -> tuple[str | None, frozenset[str]]:
    """Return this checkout's newest revision and every revision it knows (read once: they ship with the code)."""
    script = ScriptDirectory(str(MIGRATIONS))
    return script.get_current_head(), frozenset(rev.revision for rev in script.walk_revisions())


@dataclass(frozen=True)
class SchemaProblem:
    """Why the database cannot serve this version of the code: `unavailable`, `not_migrated`, `behind` or `ahead`."""

    kind: str
    message: str

    def __str__(self) -> str:
        return self.message


def schema_problem(engine: Engine) -> SchemaProblem | None:
    """Return why the database cannot serve this version of the code (unreachable, not migrated, behind), or None."""
    where = engine.url.render_as_string(hide_password=True)
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) is not None else exc).strip().splitlines()[0]
        return SchemaProblem("unavailable", f"could not connect to the database {where}: {reason}")
    head, known = _revisions()
    if current == head:
        return None
    if current is None:
        return SchemaProblem("not_migrated", f"the database {where} is not migrated; run `{UPGRADE_COMMAND}` first")
    if current not in known:
        return SchemaProblem("ahead", f"the database {where} is at revision {current}, which this version does not "
                                      "know: a newer version of onboarding migrated it")
    return SchemaProblem("behind", f"the database {where} is at revision {current}, this version needs {head}; "
                                   f"run `{UPGRADE_COMMAND}`")

"""The database: one engine per app, one session per request, committed once at its end."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 30) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout for concurrent webhooks."""
    # A ping before each use finds connections a server closed; a SQLite file has no server to close them.
    kwargs: dict[str, Any] = {"pool_pre_ping": not url.startswith("sqlite")}
    parsed = make_url(url)
    in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
    if not in_memory:  # an in-memory SQLite database is one connection, not a pool
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if ":memory:" not in str(connection):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Create the engine (no connection yet) and close each request's session."""
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"], app.config.get("DATABASE_POOL_SIZE", 10),
                                              app.config.get("DATABASE_MAX_OVERFLOW", 30))
    # Per request, not per app context: an app context can outlive many requests (tests, CLI).
    app.teardown_request(_close_session)


def get_engine(app: Flask) -> Engine:
    """Return the app's engine."""
    return app.extensions["db_engine"]


def get_session() -> Session:
    """Return the request's session, opening it on first use."""
    if "db_session" not in g:
        from flask import current_app

        g.db_session = Session(get_engine(current_app), expire_on_commit=False)
    return g.db_session


def _close_session(exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is None:
        return
    try:
        if exc is None and session.is_active:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


@contextmanager
def independent_session(engine: Engine) -> Iterator[Session]:
    """Open a session that commits on its own, outside the request's transaction."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()

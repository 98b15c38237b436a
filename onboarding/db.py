"""The database: one engine per app, one session per request, committed once at its end.

The request's session commits right after its view (or the handler of an exception the view raised)
returned, before the response is decorated and sent: a commit that fails is then handled like an
exception of the view itself (`onboarding/errors.py` answers a branded 503 when the database went
away), never as Werkzeug's bare 500 that a failure in `teardown_request` gives. A request that
raised an exception no handler took is rolled back, never committed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, Response, after_this_request, current_app, g, got_request_exception
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 30) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout for concurrent webhooks."""
    # A ping before each use finds connections a server closed (a restart, a failover): the request after an
    # outage reconnects instead of failing. A SQLite file has no server to close them.
    # Statement parameters stay out of error messages, hence out of the log: they hold people's details.
    kwargs: dict[str, Any] = {"pool_pre_ping": not url.startswith("sqlite"), "hide_parameters": True}
    parsed = make_url(url)
    in_memory = parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")
    if not in_memory:  # an in-memory SQLite database is one connection, not a pool
        kwargs.update(pool_size=pool_size, max_overflow=max_overflow)
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
        if not in_memory:  # on the first connection, not now: creating an engine touches nothing
            event.listen(engine, "do_connect", lambda *_: _create_private(Path(str(parsed.database))))
    return engine


def _create_private(path: Path) -> None:
    """Create a new SQLite file readable by its owner only (SQLite gives its -wal and -shm files the same mode).

    The database holds people's names, addresses and e-mails. An existing file keeps the mode its operator gave it.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:  # no such folder: SQLite says so, in its own words, on the first connection
        pass


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    if ":memory:" not in str(connection):
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Create the engine (no connection yet); commit each request's session once, or roll it back."""
    app.extensions["db_engine"] = make_engine(app.config["DATABASE_URL"], app.config.get("DATABASE_POOL_SIZE", 10),
                                              app.config.get("DATABASE_MAX_OVERFLOW", 30))
    # Per request, not per app context: an app context can outlive many requests (tests, CLI).
    app.teardown_request(_close_session)
    got_request_exception.connect(_discard_on_exception, app)


def get_engine(app: Flask) -> Engine:
    """Return the app's engine."""
    return app.extensions["db_engine"]


def get_session() -> Session:
    """Return the request's session, opening it on first use (in a request: it commits once the view answered)."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(current_app), expire_on_commit=False)
        # Runs before the blueprints' and the app's after_request functions: whatever answers a failed
        # commit still gets the security headers and the session cookie they add.
        after_this_request(_commit)
    return g.db_session


def _commit(response: Response) -> Response:
    """Commit the request's session; a failed commit is answered like an exception raised by the view."""
    session: Session | None = g.pop("db_session", None)
    if session is None:  # discarded: the view's exception was answered without it
        return response
    try:
        if session.is_active:
            session.commit()
        else:
            session.rollback()
    except Exception as exc:  # whatever it is: answered by the handler registered for it, or propagated
        _quietly_rollback(session)
        # As if the view had raised it: `errors.py` answers a 503 for a database gone away, a 500 for the rest.
        return current_app.make_response(current_app.handle_user_exception(exc))
    finally:
        session.close()
    return response


def discard_session() -> None:
    """Roll back and close the request's session, if any: nothing it holds will be committed."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        _quietly_rollback(session)
        session.close()


def _quietly_rollback(session: Session) -> None:
    try:
        session.rollback()
    except SQLAlchemyError:  # the connection is gone: there is nothing left to roll back
        pass


def _discard_on_exception(_app: Flask, **_extra: object) -> None:
    # Flask's answer to an unhandled exception passes the after_request functions too: it must not commit.
    discard_session()


def _close_session(exc: BaseException | None) -> None:
    # Normally `_commit` has taken the session already. One opened after the response was finalized, or left
    # by a request that raised, is not committed: a failure here could no longer change the answer.
    discard_session()


@contextmanager
def independent_session(engine: Engine) -> Iterator[Session]:
    """Open a session that commits on its own, outside the request's transaction."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()

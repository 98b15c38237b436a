"""Tests for the throwaway PostgreSQL harness in tests/support/postgres.py."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.postgres import (
    ENV_URL,
    PostgresHarnessError,
    PostgresServer,
    _pid_alive,
    create_database,
    find_pg_bin,
    running_postgres,
)

pytestmark = pytest.mark.postgres

requires_pg_bin = pytest.mark.skipif(
    find_pg_bin() is None,
    reason="PostgreSQL server binaries missing: scripts/ensure-system-packages.sh postgresql",
)


@pytest.fixture(autouse=True)
def _no_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests exercise the real harness, not a developer's own server."""
    monkeypatch.delenv(ENV_URL, raising=False)


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _roundtrip(url: str) -> list[tuple[int, str]]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            assert conn.execute(text("select 1")).scalar_one() == 1
            conn.execute(text("create table widget (id int primary key, name text not null)"))
            conn.execute(
                text("insert into widget (id, name) values (:id, :name)"),
                [{"id": 1, "name": "ä-unicode"}, {"id": 2, "name": "plain"}],
            )
        with engine.connect() as conn:
            rows = conn.execute(text("select id, name from widget order by id")).all()
        return [(row.id, row.name) for row in rows]
    finally:
        engine.dispose()


@requires_pg_bin
def test_find_pg_bin_has_server_binaries() -> None:
    bin_dir = find_pg_bin()
    assert bin_dir is not None
    for name in ("initdb", "pg_ctl", "postgres"):
        assert (bin_dir / name).is_file()


@requires_pg_bin
def test_running_postgres_roundtrip_and_shutdown(tmp_path: Path) -> None:
    with running_postgres(tmp_path) as url:
        parsed = make_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert parsed.host == "127.0.0.1"
        assert parsed.database == "onboarding_test"
        assert parsed.port is not None
        assert _roundtrip(url) == [(1, "ä-unicode"), (2, "plain")]
        assert _port_open(parsed.port)
    assert not _port_open(parsed.port)


@requires_pg_bin
def test_server_stopped_and_data_dir_removed(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path)
    with server as url:
        workdir = server.workdir
        assert workdir is not None and server.data_dir.is_dir()
        pid = server._postmaster_pid()
        assert pid is not None and _pid_alive(pid)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                tables = conn.execute(
                    text("select count(*) from pg_tables where schemaname = 'public'")
                ).scalar_one()
                assert tables == 0  # fresh, empty database
                assert conn.execute(text("show fsync")).scalar_one() == "off"
        finally:
            engine.dispose()
    assert not _pid_alive(pid)
    assert not workdir.exists()
    assert server.workdir is None
    server.stop()  # idempotent


@requires_pg_bin
def test_pause_and_resume_keep_the_port_and_the_data(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path)
    with server as url:
        port = make_url(url).port
        assert port is not None and _roundtrip(url) == [(1, "ä-unicode"), (2, "plain")]
        server.pause()
        assert not _port_open(port)
        server.resume()
        assert _port_open(port)  # the same URL reaches it again
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("select count(*) from widget")).scalar_one() == 2
        finally:
            engine.dispose()


@requires_pg_bin
def test_cleanup_on_exception(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path)
    with pytest.raises(RuntimeError, match="boom"), server as url:
        workdir = server.workdir
        port = make_url(url).port
        raise RuntimeError("boom")
    assert workdir is not None and not workdir.exists()
    assert port is not None and not _port_open(port)


@requires_pg_bin
def test_create_extra_database(tmp_path: Path) -> None:
    with running_postgres(tmp_path) as url:
        other = create_database(url, "worker_gw1")
        assert make_url(other).database == "worker_gw1"
        assert _roundtrip(other) == [(1, "ä-unicode"), (2, "plain")]


@requires_pg_bin
def test_start_failure_reports_server_log(tmp_path: Path) -> None:
    server = PostgresServer(tmp_path)
    # An invalid server setting makes the postmaster exit right away.
    import tests.support.postgres as harness

    original = harness._SERVER_OPTIONS
    harness._SERVER_OPTIONS = original + " -c no_such_setting_xyz=1"
    try:
        with pytest.raises(PostgresHarnessError, match="no_such_setting_xyz") as excinfo:
            server.start()
    finally:
        harness._SERVER_OPTIONS = original
    assert "tail of" in str(excinfo.value)
    assert server.workdir is None


def test_env_override_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = "postgresql+psycopg://someone@db.example:5432/mine"
    monkeypatch.setenv(ENV_URL, fake)
    with running_postgres(tmp_path) as url:
        assert url == fake
    assert list(tmp_path.iterdir()) == []


@requires_pg_bin
def test_retries_when_port_is_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.support.postgres as harness

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        ports = iter([taken])
        real_free_port = harness._free_port
        monkeypatch.setattr(harness, "_free_port", lambda: next(ports, None) or real_free_port())
        with running_postgres(tmp_path) as url:
            port = make_url(url).port
            assert port is not None and port != taken
            assert _roundtrip(url)[0] == (1, "ä-unicode")

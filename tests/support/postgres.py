"""Throwaway PostgreSQL server on loopback for the test suite.

Usage::

    from tests.support.postgres import running_postgres

    with running_postgres(tmp_dir) as url:   # postgresql+psycopg://USER@127.0.0.1:PORT/DB
        engine = create_engine(url)
        ...

    server = PostgresServer(tmp_dir)       # a server of one's own, to take down and bring back
    with server as url:
        server.pause()                       # an outage: connections end, the port refuses
        server.resume()                      # back on the same port: the URL stays valid

The server runs from a private data directory with durability switched off
(``fsync``/``synchronous_commit``/``full_page_writes``), listens only on
127.0.0.1 with ``trust`` authentication, and is stopped (``-m immediate``) and
its directory removed when the context exits -- also on exceptions, and via an
``atexit`` fallback if the context is never exited properly.

When running as root (Debian's ``initdb`` refuses to), ``initdb`` and
``pg_ctl`` run as the ``postgres`` OS user, in a directory that user owns and
can reach.

Set ``ONBOARDING_TEST_POSTGRES_URL`` to use an existing server instead: then
:func:`running_postgres` yields that URL unchanged and starts nothing.

Binaries come from :func:`find_pg_bin`; on Debian install them with
``scripts/ensure-system-packages.sh postgresql``.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "ENV_URL",
    "PostgresHarnessError",
    "PostgresServer",
    "create_database",
    "find_pg_bin",
    "running_postgres",
]

#: Environment variable naming an existing server/database to use instead.
ENV_URL = "ONBOARDING_TEST_POSTGRES_URL"

DEFAULT_USER = "onboarding"
DEFAULT_DBNAME = "onboarding_test"

_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
_OS_USER_WHEN_ROOT = "postgres"
_PORT_ATTEMPTS = 5
_LOG_TAIL_LINES = 40
# Unix socket paths are limited to ~107 bytes; leave room for "/.s.PGSQL.NNNNN".
_MAX_SOCKET_DIR_LEN = 80
_SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
)


class PostgresHarnessError(RuntimeError):
    """The throwaway PostgreSQL server could not be set up, started or stopped."""


# --------------------------------------------------------------------------- #
# Locating the binaries
# --------------------------------------------------------------------------- #


def _has_binaries(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in _REQUIRED_BINARIES)


def _version_key(path: Path) -> tuple[int, ...]:
    """Sort key for ``/usr/lib/postgresql/<N>`` (``15`` < ``16``; ``9.6`` ok)."""
    return tuple(int(part) for part in re.findall(r"\d+", path.name)) or (-1,)


def find_pg_bin() -> Path | None:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Looks, in order, at ``/usr/lib/postgresql/<N>/bin`` (newest ``N`` first,
    Debian/Ubuntu layout), ``pg_config --bindir`` and the directories of those
    programs on ``PATH`` (symlinks resolved). Returns ``None`` if none has all
    three.
    """
    candidates: list[Path] = []

    debian_root = Path("/usr/lib/postgresql")
    if debian_root.is_dir():
        versions = sorted(
            (p for p in debian_root.iterdir() if p.is_dir()),
            key=_version_key,
            reverse=True,
        )
        candidates.extend(v / "bin" for v in versions)

    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"],
                capture_output=True,
                text=True,
                timeout=10,
                check=True,
            ).stdout.strip()
            if out:
                candidates.append(Path(out))

    for name in _REQUIRED_BINARIES:
        found = shutil.which(name)
        if found:
            candidates.append(Path(found).parent)
            candidates.append(Path(found).resolve().parent)

    for candidate in candidates:
        if candidate.is_dir() and _has_binaries(candidate):
            return candidate
    return None


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _traversable_by(path: Path, uid: int, gid: int) -> bool:
    """Whether ``uid``/``gid`` can ``cd`` through ``path`` and all its parents."""
    try:
        path = path.resolve()
        for directory in (path, *path.parents):
            st = directory.stat()
            if st.st_uid == uid:
                ok = bool(st.st_mode & stat.S_IXUSR)
            elif st.st_gid == gid:
                ok = bool(st.st_mode & stat.S_IXGRP)
            else:
                ok = bool(st.st_mode & stat.S_IXOTH)
            if not ok:
                return False
    except OSError:
        return False
    return True


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` is a live (non-zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    except (OSError, IndexError):
        return True


def _url(user: str, port: int, dbname: str) -> str:
    return f"postgresql+psycopg://{user}@127.0.0.1:{port}/{dbname}"


def create_database(server_url: str, name: str) -> str:
    """Create database ``name`` on the server behind ``server_url``.

    ``server_url`` is any SQLAlchemy URL for that server (its database is only
    used to connect). Returns the same URL pointing at the new database --
    handy for giving each parallel test worker its own database.
    """
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    with psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database or "postgres",
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.set(database=name).render_as_string(hide_password=False)


# --------------------------------------------------------------------------- #
# The server
# --------------------------------------------------------------------------- #


class PostgresServer:
    """One throwaway PostgreSQL cluster: ``initdb`` + ``pg_ctl start``/``stop``.

    ``start()`` returns the SQLAlchemy URL of a fresh, empty database;
    ``stop()`` stops the server and deletes its directory (idempotent). Also a
    context manager. An ``atexit`` hook stops a server left running.

    ``base_dir`` is the preferred parent for the server's directory; it is
    used only if the OS user running the server can reach it (when running as
    root the server runs as ``postgres``, which typically cannot enter pytest's
    ``/tmp/pytest-of-root``), otherwise the system temp dir is used.
    """

    def __init__(
        self,
        base_dir: Path | None = None,
        *,
        user: str = DEFAULT_USER,
        dbname: str = DEFAULT_DBNAME,
        bin_dir: Path | None = None,
    ) -> None:
        self.base_dir = base_dir
        self.user = user
        self.dbname = dbname
        self._bin_dir = bin_dir
        self.workdir: Path | None = None
        self.port: int | None = None
        self.url: str | None = None
        self._extra_dirs: list[Path] = []
        self._run_as: pwd.struct_passwd | None = None
        self._sock_dir: Path | None = None
        self._started = False

    # -- paths ------------------------------------------------------------- #

    @property
    def bin_dir(self) -> Path:
        """Directory of the PostgreSQL server binaries."""
        if self._bin_dir is None:
            found = find_pg_bin()
            if found is None:
                raise PostgresHarnessError(
                    "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; "
                    "install them with `scripts/ensure-system-packages.sh postgresql` "
                    f"or set {ENV_URL} to an existing server"
                )
            self._bin_dir = found
        return self._bin_dir

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory (``PGDATA``)."""
        return self._require_workdir() / "data"

    @property
    def log_path(self) -> Path:
        """The server log written by ``pg_ctl -l``."""
        return self._require_workdir() / "server.log"

    def _require_workdir(self) -> Path:
        if self.workdir is None:
            raise PostgresHarnessError("server not set up (call start() first)")
        return self.workdir

    # -- running commands --------------------------------------------------- #

    def _command(self, *args: str) -> list[str]:
        if self._run_as is None:
            return list(args)
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        if os.access(runuser, os.X_OK):
            return [runuser, "-u", self._run_as.pw_name, "--", *args]
        setpriv = shutil.which("setpriv")
        if setpriv:
            return [
                setpriv,
                f"--reuid={self._run_as.pw_uid}",
                f"--regid={self._run_as.pw_gid}",
                "--init-groups",
                "--",
                *args,
            ]
        raise PostgresHarnessError("running as root but neither runuser nor setpriv found")

    def _run(
        self, *args: str, timeout: float, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        for var in ("PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGOPTIONS"):
            env.pop(var, None)
        env["LC_ALL"] = "C"  # predictable (English) messages from the tools
        cmd = self._command(*args)
        try:
            proc = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                timeout=timeout,
                cwd=self.workdir,
                env=env,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise self._error(f"timed out after {timeout}s: {' '.join(cmd)}") from exc
        if check and proc.returncode != 0:
            raise self._error(
                f"{' '.join(cmd)} exited with {proc.returncode}\n"
                f"{(proc.stdout + proc.stderr).strip()}"
            )
        return proc

    def _error(self, message: str) -> PostgresHarnessError:
        if self.workdir is not None and self.log_path.exists():
            message += f"\n--- tail of {self.log_path} ---\n{_tail(self.log_path)}"
        return PostgresHarnessError(message)

    # -- lifecycle ---------------------------------------------------------- #

    def _make_workdir(self) -> None:
        uid, gid = os.geteuid(), os.getegid()
        if uid == 0:
            try:
                self._run_as = pwd.getpwnam(_OS_USER_WHEN_ROOT)
            except KeyError:
                raise PostgresHarnessError(
                    "running as root, and initdb refuses to run as root, but there is "
                    f"no {_OS_USER_WHEN_ROOT!r} OS user to run it as (the Debian "
                    "postgresql package creates one); or run the tests as non-root"
                ) from None
            uid, gid = self._run_as.pw_uid, self._run_as.pw_gid

        parents = [self.base_dir] if self.base_dir is not None else []
        parents += [Path(tempfile.gettempdir()), Path("/tmp")]
        parent = next(
            (p for p in parents if p.is_dir() and _traversable_by(p, uid, gid)), None
        )
        if parent is None:
            raise PostgresHarnessError(
                f"no directory usable by uid {uid} for the server among {parents}"
            )
        self.workdir = Path(tempfile.mkdtemp(prefix="pg-test-", dir=parent))
        if self._run_as is not None:
            os.chown(self.workdir, uid, gid)

    def _socket_dir(self) -> Path:
        sock_dir = self._require_workdir() / "sock"
        if len(str(sock_dir)) > _MAX_SOCKET_DIR_LEN:
            # Deep base_dir: keep the socket path under the sun_path limit.
            sock_dir = Path(tempfile.mkdtemp(prefix="pgs-", dir="/tmp"))
            self._extra_dirs.append(sock_dir)
        else:
            sock_dir.mkdir()
        if self._run_as is not None:
            os.chown(sock_dir, self._run_as.pw_uid, self._run_as.pw_gid)
        return sock_dir

    def _initdb(self) -> None:
        base = [
            str(self.bin_dir / "initdb"),
            "-D", str(self.data_dir),
            "--auth=trust",
            f"--username={self.user}",
            "--encoding=UTF8",
            "--no-sync",
        ]
        proc = self._run(*base, "--locale=C.UTF-8", timeout=120, check=False)
        if proc.returncode != 0:
            # C.UTF-8 missing on this system? initdb cleans up after a failure.
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self._run(*base, "--no-locale", timeout=120)

    def _pg_ctl(self, port: int, sock_dir: Path) -> subprocess.CompletedProcess[str]:
        options = f"-h 127.0.0.1 -p {port} -k {shlex.quote(str(sock_dir))} {_SERVER_OPTIONS}"
        return self._run(
            str(self.bin_dir / "pg_ctl"),
            "-D", str(self.data_dir),
            "-l", str(self.log_path),
            "-w", "-t", "60",
            "-o", options,
            "start",
            timeout=90,
            check=False,
        )

    def _pg_ctl_start(self, sock_dir: Path) -> None:
        self._sock_dir = sock_dir
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            port = _free_port()
            log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            proc = self._pg_ctl(port, sock_dir)
            if proc.returncode == 0:
                self.port = port
                return
            new_log = ""
            with contextlib.suppress(OSError), self.log_path.open("rb") as fh:
                fh.seek(log_offset)
                new_log = fh.read().decode(errors="replace")
            port_taken = any(
                marker in new_log
                for marker in ("could not bind", "Address already in use")
            )
            if not port_taken or attempt == _PORT_ATTEMPTS:
                raise self._error(
                    f"pg_ctl start failed (port {port}, attempt {attempt}):\n"
                    f"{(proc.stdout + proc.stderr).strip()}"
                )

    def start(self) -> str:
        """Initialise and start the server; return the URL of a fresh database."""
        if self._started:
            raise PostgresHarnessError("server already started")
        self._started = True
        atexit.register(self.stop)
        try:
            _ = self.bin_dir  # fail early, before creating anything
            self._make_workdir()
            self._initdb()
            self._pg_ctl_start(self._socket_dir())
            assert self.port is not None
            try:
                self.url = create_database(
                    _url(self.user, self.port, "postgres"), self.dbname
                )
            except Exception as exc:
                raise self._error(f"could not create database {self.dbname!r}: {exc}") from exc
        except BaseException:
            self.stop()
            raise
        return self.url

    def pause(self, mode: str = "fast") -> None:
        """Stop the server as an outage would, keeping its data and port: ``resume()`` starts it again.

        ``fast`` ends the clients' connections as a restart does; ``immediate`` as a crash does.
        """
        if self.port is None or self._sock_dir is None:
            raise PostgresHarnessError("server not started")
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", mode, "-w", "-t", "30", "stop",
                  timeout=45)

    def resume(self) -> None:
        """Start a paused server again, on the same port (its URL stays valid)."""
        if self.port is None or self._sock_dir is None:
            raise PostgresHarnessError("server not started")
        proc = self._pg_ctl(self.port, self._sock_dir)
        if proc.returncode != 0:
            raise self._error(f"pg_ctl start (resume on port {self.port}) failed:\n{(proc.stdout + proc.stderr).strip()}")

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Stop the server (if running) and remove its directories. Idempotent."""
        atexit.unregister(self.stop)
        if self.workdir is None:
            return
        try:
            pid = self._postmaster_pid()
            if pid is not None and self.data_dir.is_dir():
                with contextlib.suppress(PostgresHarnessError):
                    self._run(
                        str(self.bin_dir / "pg_ctl"),
                        "-D", str(self.data_dir),
                        "-m", "immediate",
                        "-w", "-t", "30",
                        "stop",
                        timeout=45,
                        check=False,
                    )
                self._kill_if_alive(pid)
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            for extra in self._extra_dirs:
                shutil.rmtree(extra, ignore_errors=True)
            self._extra_dirs.clear()
            self.workdir = None

    @staticmethod
    def _kill_if_alive(pid: int) -> None:
        """Last resort if ``pg_ctl stop`` did not get rid of the postmaster."""
        for sig, grace in ((signal.SIGQUIT, 5.0), (signal.SIGKILL, 5.0)):
            if not _pid_alive(pid):
                return
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _pid_alive(pid):
                time.sleep(0.05)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def running_postgres(
    base_dir: Path,
    *,
    user: str = DEFAULT_USER,
    dbname: str = DEFAULT_DBNAME,
) -> Iterator[str]:
    """Run a throwaway server; yield ``postgresql+psycopg://USER@127.0.0.1:PORT/DB``.

    The database is fresh and empty. The server is stopped and its directory
    removed on exit (also on exceptions). ``base_dir`` is the preferred parent
    for the server's files (see :class:`PostgresServer`).

    If ``ONBOARDING_TEST_POSTGRES_URL`` is set, yields it and starts nothing.
    """
    override = os.environ.get(ENV_URL)
    if override:
        yield override
        return
    with PostgresServer(base_dir, user=user, dbname=dbname) as url:
        yield url

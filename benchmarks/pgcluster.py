"""A throwaway PostgreSQL cluster for the tests and the sync benchmarks.

``PgCluster`` runs ``initdb`` and ``pg_ctl`` from /usr/lib/postgresql/*/bin (or PATH)
in a private temporary directory, on a free port, with fsync off. Running as root (as
in CI containers) it runs them as the ``postgres`` user, since PostgreSQL refuses root.
``ExternalPg`` wraps an existing server ($ESCALATION_CONSOLE_TEST_PG_URL) behind the
same database-per-test interface; it cannot stop or restart the server.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ENV_URL = "ESCALATION_CONSOLE_TEST_PG_URL"


def find_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl, newest version first; None if absent."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                        else 0, reverse=True)
    for directory in candidates:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Databases:
    """Create, list and drop databases through an admin connection."""

    admin_url: str

    def admin(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(dbname), autocommit=True)

    def url(self, dbname: str) -> str:
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{dbname}"))

    def create_database(self, prefix: str = "t") -> str:
        """A fresh database; returns its URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:16]}"
        with self.admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def terminate(self, where: str = "true", params: tuple = ()) -> int:
        """pg_terminate_backend on every client backend matching a pg_stat_activity
        condition (never our own); returns how many were terminated."""
        with self.admin() as conn:
            rows = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND ({where})",
                params).fetchall()
        return len(rows)


class ExternalPg(_Databases):
    """A server somebody else runs: databases only, no restarts."""

    can_restart = False

    def __init__(self, url: str) -> None:
        self.admin_url = url
        self.host, self.port = urlsplit(url).hostname or "localhost", urlsplit(url).port or 5432

    def stop(self) -> None:
        pass


class PgCluster(_Databases):
    """initdb + pg_ctl in a temporary directory; ``start()``, ``stop()``, ``restart()``."""

    can_restart = True

    def __init__(self, bin_dir: Path, base: Path | None = None) -> None:
        self.bin_dir = bin_dir
        self.base = base or Path(tempfile.mkdtemp(prefix="escalation-console-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.host, self.port = "127.0.0.1", free_port()
        self.admin_url = f"postgresql://postgres@{self.host}:{self.port}/postgres"
        self._owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            self._owner = pwd.getpwnam("postgres")
            os.chmod(self.base, 0o700)
            os.chown(self.base, self._owner.pw_uid, self._owner.pw_gid)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(self.bin_dir / tool), *args]
        if self._owner is not None:
            cmd = ["runuser", "-u", self._owner.pw_name, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{tool} failed ({result.returncode}): {result.stderr}\n{log}")
        return result

    def init(self) -> PgCluster:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        return self

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.base} -c listen_addresses={self.host} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=200")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(),
                  "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop",
                  check=False)

    def restart(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-m", mode,
                  "-o", self._options(), "-w", "-t", "60", "restart")

    def reload(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "reload")

    def prepend_hba(self, line: str) -> None:
        """Put a pg_hba.conf rule before the trust rules, then reload."""
        hba = self.data / "pg_hba.conf"
        hba.write_text(line.rstrip("\n") + "\n" + hba.read_text())
        self.reload()

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)


def start_server() -> PgCluster | ExternalPg:
    """$ESCALATION_CONSOLE_TEST_PG_URL if set, else a fresh cluster; raise LookupError
    when neither is possible."""
    if os.environ.get(ENV_URL):
        return ExternalPg(os.environ[ENV_URL])
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise LookupError("no PostgreSQL binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin "
                          f"or PATH, and ${ENV_URL} is not set")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise LookupError("running as root but there is no 'postgres' user to own "
                              "the test cluster") from None
    cluster = PgCluster(bin_dir).init()
    cluster.start()
    return cluster

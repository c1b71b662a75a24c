"""A throw-away PostgreSQL cluster from the installed binaries (Debian's ``postgresql``),
for the tests (tests/conftest.py) and the PostgreSQL benchmark (bench/pgbench.py)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ClusterUnavailable(Exception):
    """No cluster can be made on this machine (the message says why)."""


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", path.parent.name)) or (0,)


def find_pg_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` live: $AUDIENCELANG_PG_BINDIR, pg_config,
    Debian's /usr/lib/postgresql/N/bin (newest first), or $PATH."""
    candidates: list[Path] = []
    if os.environ.get("AUDIENCELANG_PG_BINDIR"):
        candidates.append(Path(os.environ["AUDIENCELANG_PG_BINDIR"]))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                 check=True, timeout=10).stdout.strip()
            candidates.append(Path(out))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file() and (c / "postgres").is_file():
            return c
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PostgresCluster:
    bindir: Path
    root: Path
    port: int
    as_user: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sockets(self) -> Path:
        return self.root / "sockets"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.as_user, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)

    def start(self) -> None:
        options = " ".join([
            f"-c port={self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.sockets}",
            "-c standard_conforming_strings=on",
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "-c max_connections=40",
        ])
        done = self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                        str(self.root / "server.log"), "-w", "-t", "60", "-o", options, "start")
        if done.returncode != 0:
            log = (self.root / "server.log")
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {done.stdout}{done.stderr}\n{tail}")

    @contextlib.contextmanager
    def database(self, prefix: str, options: str = "") -> Iterator[str]:
        """A new database ``CREATE DATABASE <prefix>_<random> <options>``, dropped (with its
        connections) when the block ends; yields its name."""
        import psycopg
        from psycopg import sql as pgsql

        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(pgsql.SQL("CREATE DATABASE {} " + options).format(pgsql.Identifier(name)))
        try:
            yield name
        finally:
            with psycopg.connect(self.url(), autocommit=True) as admin:
                admin.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    pgsql.Identifier(name)))

    def stop(self) -> None:
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                 "stop", timeout=60)


def start_cluster(bindir: Path) -> PostgresCluster:
    """A new throw-away cluster (UTF-8, locale C, trust auth, no fsync) on a free loopback port."""
    root = Path(tempfile.mkdtemp(prefix="audiencelang-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: become the `postgres` user
        import pwd

        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            raise ClusterUnavailable("running as root and there is no `postgres` user to run initdb as") from None
        os.chown(root, pw.pw_uid, pw.pw_gid)
        runuser = shutil.which("runuser")
        as_user = [runuser, "-u", "postgres", "--"] if runuser else ["su", "postgres", "-s",
                                                                       "/bin/sh", "-c"]
        if not runuser:
            raise RuntimeError("runuser not found (util-linux)")
    cluster = PostgresCluster(bindir=bindir, root=root, port=0, as_user=as_user)
    (root / "sockets").mkdir()
    if as_user:
        os.chown(root / "sockets", pw.pw_uid, pw.pw_gid)
    init = cluster.run(str(bindir / "initdb"), "-D", str(cluster.data), "-U", "postgres",
                       "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
    if init.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {init.stdout}{init.stderr}")
    for attempt in range(3):  # the free port may be taken between probing and binding
        cluster.port = _free_port()
        try:
            cluster.start()
            return cluster
        except RuntimeError:
            if attempt == 2:
                shutil.rmtree(root, ignore_errors=True)
                raise
    raise AssertionError("unreachable")


def copy_duckdb_into(pg: Any, duckdb_path: Path, scratch: Path) -> None:
    """Every table of the DuckDB file ``duckdb_path`` (as the demo generator makes them)
    into the psycopg connection ``pg``: tables made by the tests' own loader
    (``tests.engines.postgres_load``), rows through CSV files in ``scratch`` and ``COPY``
    (2M rows in seconds); then ``ANALYZE``."""
    import duckdb
    from psycopg import sql as pgsql

    from tests import engines

    con = duckdb.connect(str(duckdb_path), read_only=True)
    try:
        for table, columns in engines.duckdb_tables(con):
            engines.postgres_load(pg, table, columns, ())
            ident = pgsql.Identifier(*table.split("."))
            csv = scratch / f"{table}.csv"
            con.execute(f"COPY {'.'.join(engines._dq(p) for p in table.split('.'))} TO '{csv}' (HEADER false)")
            with pg.cursor() as cur, cur.copy(
                    pgsql.SQL("COPY {} FROM STDIN (FORMAT csv)").format(ident)) as copy, csv.open("rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            csv.unlink()
    finally:
        con.close()
    pg.commit()
    pg.execute("ANALYZE")
    pg.commit()

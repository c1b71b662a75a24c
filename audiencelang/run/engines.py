"""Database connections for ``audiencelang run``: DuckDB, SQLite, PostgreSQL, Redshift,
MySQL/MariaDB, ClickHouse (chdb) and Spark (local and Connect).

``connect(target)`` turns a path or URL into an :class:`Engine`. An engine knows
its sqlglot dialect name, runs one statement at a time and hands the rows back
in batches (``fetchmany``; PostgreSQL uses a server-side cursor), so a large
member list never has to fit in memory twice.

Targets (see docs/run.md):

============================================  =====================================
target                                        engine
============================================  =====================================
``None``                                      DuckDB file ``audiencelang.duckdb`` in the project root
``path.duckdb``, ``path.db``, any other path  DuckDB, read-only (a SQLite file is recognised by its header)
``duckdb:///relative/path``, ``duckdb:////abs/path``   DuckDB, read-only
``path.sqlite``, ``path.sqlite3``,            SQLite (stdlib ``sqlite3``), read-only
``sqlite:///relative/path``, ``sqlite:////abs/path``
``postgresql://…``, ``postgres://…``,         PostgreSQL via psycopg 3, read-only session
``host=… dbname=…`` (libpq keywords)
``redshift://…``                              Redshift via psycopg 3 (dialect ``redshift``); refused (E615) unless
                                              the server reports ``standard_conforming_strings = off``
``mysql://…``, ``mariadb://…``                MySQL/MariaDB via PyMySQL (dialect ``mysql``), sql_mode and time zone
                                              pinned, read-only transactions, unbuffered cursor
``chdb:///relative``, ``chdb:////abs``        embedded ClickHouse (chdb) on a data folder, ``readonly = 2``, UTC
``spark+local:///WAREHOUSE``                  local Spark; tables are Parquet folders ``WAREHOUSE/db.db/table``
``sc://HOST:PORT``                            Spark Connect (dialect ``spark``); settings pinned and read back
============================================  =====================================

Every problem (missing file, bad URL, refused connection, unsafe session, SQL
error, missing table) is raised as :class:`RunError`, which carries one ``E6xx``
:class:`~audiencelang.diagnostics.Diagnostic` with the database's own message on
one line. Nothing here creates a database file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiencelang.diagnostics import AudienceLangError, Diagnostic, error
from audiencelang.redact import redact, scrub

if TYPE_CHECKING:
    from audiencelang.schema.market import Market

__all__ = [
    "BATCH_SIZE",
    "DEFAULT_DB_NAME",
    "ClickHouseEngine",
    "DuckDBEngine",
    "Engine",
    "MySQLEngine",
    "PostgresEngine",
    "Rows",
    "RunError",
    "SQLiteEngine",
    "SparkEngine",
    "connect",
]

DEFAULT_DB_NAME = "audiencelang.duckdb"
"""The database ``run`` uses when no ``--db`` is given: this file in the project root."""

BATCH_SIZE = 10_000
"""Rows fetched per round trip."""

_SQLITE_MAGIC = b"SQLite format 3\x00"
_SQLITE_SUFFIXES = (".sqlite", ".sqlite3")


class RunError(AudienceLangError):
    """A problem running on a database; carries E6xx diagnostics (never a traceback)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__([diagnostic])

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]


def one_line(exc: BaseException | str) -> str:
    """The first non-empty line of a database's error message, trimmed, without passwords."""
    text = str(exc)
    for line in text.splitlines():
        if line.strip():
            return redact(line.strip())
    return type(exc).__name__ if isinstance(exc, BaseException) else "unknown error"


def _where(audience: str | None, market: str | None) -> str:
    if audience and market:
        return f"{audience} (market {market}): "
    if audience:
        return f"{audience}: "
    return ""


class Rows:
    """The result of one statement: ``columns`` and an iterator over row batches.

    Iterate ``batches()`` once; errors raised while fetching become :class:`RunError`.
    Close it (or use it as a context manager) to release the cursor.
    """

    def __init__(self, engine: Engine, cursor: Any, columns: list[str], context: tuple[str | None, str | None]) -> None:
        self._engine = engine
        self._cursor = cursor
        self.columns = columns
        self._context = context

    def batches(self, size: int = BATCH_SIZE) -> Iterator[list[tuple[Any, ...]]]:
        while True:
            try:
                batch = self._cursor.fetchmany(size)
            except Exception as exc:
                self._engine._after_error()  # PostgreSQL: the failed fetch aborted the transaction
                raise self._engine.translate(exc, *self._context) from None
            if not batch:
                return
            yield [tuple(r) for r in batch]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._cursor.close()

    def __enter__(self) -> Rows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Engine:
    """A connection to one database. Subclasses set ``dialect`` and ``kind``."""

    dialect: str = ""
    kind: str = ""

    #: True when no ``--db`` was given: the default file, where `demo generate` writes.
    default_db = False

    def __init__(self, target: str, connection: Any) -> None:
        self.target = target
        self.connection = connection

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.target!r})"

    # -- to override

    def _cursor(self) -> Any:
        return self.connection.cursor()

    def _is_missing_table(self, exc: BaseException) -> bool:
        return False

    def _now_sql(self) -> str:
        return "SELECT CURRENT_TIMESTAMP"

    def prepare(self, market: Market) -> None:
        """Make the market's tables reachable (SQLite attaches schemas). Default: nothing."""

    # -- shared

    def translate(self, exc: BaseException, audience: str | None = None, market: str | None = None) -> RunError:
        """A driver exception as an E605/E606 :class:`RunError`."""
        where = _where(audience, market)
        if self._is_missing_table(exc):
            return RunError(error(
                "E606", f"{where}table not found in {self.kind} database {self.target}: {one_line(exc)}",
                None,
                *(("the market schema's table names must exist in this database; for the demo data "
                   "run `audiencelang demo generate` in the project folder",) if self.default_db else
                  ("the market schema's table names must exist in this database: check --db and the "
                   "`table:` entries of the market file",)),
                market=market, audience=audience,
            ))
        message = one_line(exc)
        hints: tuple[str, ...] = ()
        if "src" in message or "column" in message.lower():
            hints = ("in the compiled SQL, \"src\" is the market table being read: check that every "
                     "column the market schema names for it exists in this database "
                     "(`audiencelang compile AUDIENCE --market M --dialect D` shows the statement)",)
        return RunError(error(
            "E605", f"{where}the {self.kind} database reported an error: {message}",
            None, *hints, market=market, audience=audience,
        ))

    def execute(self, sql: str, *, audience: str | None = None, market: str | None = None,
                params: Sequence[object] = ()) -> Rows:
        """Run one statement; the rows come back in batches from :meth:`Rows.batches`.
        ``params`` are bound to the statement's placeholders (``?``, ``%s`` for PostgreSQL)."""
        cursor = self._cursor()
        try:
            if params:
                cursor.execute(sql, tuple(params))
            else:
                cursor.execute(sql)
            columns = [str(d[0]) for d in (cursor.description or ())]
        except Exception as exc:
            with contextlib.suppress(Exception):
                cursor.close()
            self._after_error()
            raise self.translate(exc, audience, market) from None
        return Rows(self, cursor, columns, (audience, market))

    def fetch_all(self, sql: str, *, audience: str | None = None, market: str | None = None,
                  params: Sequence[object] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.execute(sql, audience=audience, market=market, params=params) as rows:
            out: list[tuple[Any, ...]] = []
            for batch in rows.batches():
                out.extend(batch)
            return rows.columns, out

    def _after_error(self) -> None:
        """Reset the session after a failed statement (PostgreSQL aborts the transaction)."""

    def now(self) -> dt.datetime:
        """The database's current time as an aware UTC datetime (the client's clock if it cannot say)."""
        try:
            _, rows = self.fetch_all(self._now_sql())
            value = rows[0][0]
        except (RunError, IndexError):
            value = None
        return _as_utc(value)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_utc(value: object) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            value = None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)  # every engine here reports UTC when naive
        return value.astimezone(dt.UTC)
    return dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- DuckDB


DUCKDB_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
}
"""Settings every DuckDB database is opened with: no file, folder or network access from
SQL (views included), no extension loaded or installed behind the user's back."""


class DuckDBEngine(Engine):
    dialect = "duckdb"
    kind = "DuckDB"

    def translate(self, exc: BaseException, audience: str | None = None, market: str | None = None) -> RunError:
        import duckdb

        if not isinstance(exc, duckdb.PermissionException):
            return super().translate(exc, audience, market)
        return RunError(error(
            "E605", f"{_where(audience, market)}the DuckDB database {self.target} tried to read "
            f"outside itself, which is refused: {one_line(exc)}",
            None, "audiencelang opens DuckDB files with external access off: a table or view that "
            "reads local files, folders or URLs (read_csv, read_text, glob, ...) cannot be run; "
            "copy the data into a table (docs/security.md)", market=market, audience=audience,
        ))

    def _is_missing_table(self, exc: BaseException) -> bool:
        import duckdb

        return isinstance(exc, duckdb.CatalogException) and "does not exist" in str(exc)

    def _now_sql(self) -> str:
        # A TIMESTAMPTZ at the instant; the value is converted to UTC in Python.
        return "SELECT CAST(get_current_timestamp() AS TIMESTAMPTZ)"


def _open_duckdb(path: Path, shown: str) -> DuckDBEngine:
    import duckdb

    if str(path) != ":memory:":
        _require_file(path, shown)
    try:
        # A database file may be untrusted: its views could read local files and folders
        # (read_text, read_csv, glob) or load extensions. Our SQL reads only tables, so
        # external access and extension auto-loading are off from the start (docs/security.md).
        con = duckdb.connect(str(path), read_only=str(path) != ":memory:", config=DUCKDB_CONFIG)
    except duckdb.Error as exc:
        hints = ("this process already has the file open with other settings: close that "
                 "connection, or open it with audiencelang.run.engines.DUCKDB_CONFIG",
                 ) if "different configuration" in str(exc) else ()
        raise RunError(error("E602", f"cannot open DuckDB database {shown}: {one_line(exc)}",
                             None, *hints)) from None
    # Timestamps in our SQL never depend on the session time zone; UTC only makes
    # values shown to people agree. It needs the ICU extension: skip it when absent.
    with contextlib.suppress(duckdb.Error):
        con.execute("SET TimeZone = 'UTC'")
    return DuckDBEngine(shown, con)


# --------------------------------------------------------------------------- SQLite


class SQLiteEngine(Engine):
    dialect = "sqlite"
    kind = "SQLite"

    def __init__(self, target: str, connection: Any, path: Path) -> None:
        super().__init__(target, connection)
        self.path = path

    def _is_missing_table(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.OperationalError) and str(exc).startswith("no such table")

    def _now_sql(self) -> str:
        return "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"

    def prepare(self, market: Market) -> None:
        """SQLite has no schemas: a market table ``crm.kunden`` is read as table ``kunden``
        of this same file, attached (read-only) under the name ``crm``."""
        tables = [market.profiles.table, *(e.table for e in market.events.values())]
        if market.consent is not None:
            tables.append(market.consent.table)
        wanted = sorted({t.split(".")[0] for t in tables if t.count(".") == 1})
        cur = self.connection.cursor()
        try:
            attached = {str(r[1]) for r in cur.execute("PRAGMA database_list").fetchall()}
            for schema in wanted:
                if schema in attached or schema.lower() in {"main", "temp"}:
                    continue
                quoted = '"' + schema.replace('"', '""') + '"'  # an identifier, not a value
                cur.execute(f"ATTACH DATABASE ? AS {quoted}", (_sqlite_uri(self.path),))
        except sqlite3.Error as exc:
            raise RunError(error(
                "E602", f"cannot attach schemas of market {market.market} to SQLite database "
                f"{self.target}: {one_line(exc)}", market=market.market)) from None
        finally:
            cur.close()


def _sqlite_uri(path: Path) -> str:
    return "file:" + urllib.parse.quote(str(path.absolute())) + "?mode=ro"


def _open_sqlite(path: Path, shown: str) -> SQLiteEngine:
    _require_file(path, shown)
    try:
        con = sqlite3.connect(_sqlite_uri(path), uri=True, isolation_level=None)
        con.execute("SELECT count(*) FROM sqlite_master").fetchall()
    except sqlite3.Error as exc:
        raise RunError(error("E602", f"cannot open SQLite database {shown}: {one_line(exc)}")) from None
    return SQLiteEngine(shown, con, path)


# --------------------------------------------------------------------------- PostgreSQL


class PostgresEngine(Engine):
    dialect = "postgres"
    kind = "PostgreSQL"

    def __init__(self, target: str, connection: Any) -> None:
        super().__init__(target, connection)
        self._cursors = 0

    def _cursor(self) -> Any:
        self._cursors += 1  # a named (server-side) cursor streams the rows in batches
        return self.connection.cursor(name=f"audiencelang_run_{self._cursors}")

    def _is_missing_table(self, exc: BaseException) -> bool:
        import psycopg

        return isinstance(exc, psycopg.errors.UndefinedTable | psycopg.errors.InvalidSchemaName)

    def _after_error(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.rollback()

    def execute(self, sql: str, *, audience: str | None = None, market: str | None = None,
                params: Sequence[object] = ()) -> Rows:
        rows = super().execute(sql, audience=audience, market=market, params=params)
        if not rows.columns:
            # A named cursor only knows its columns after the first fetch on some servers.
            rows.columns = [str(d[0]) for d in (rows._cursor.description or ())]
        return rows

    def now(self) -> dt.datetime:
        try:
            with self.connection.cursor() as cur:
                cur.execute("SELECT CURRENT_TIMESTAMP")
                row = cur.fetchone()
            self.connection.rollback()
        except Exception:
            self._after_error()
            row = None
        return _as_utc(row[0] if row else None)


def _redact(url: str) -> str:
    """The target without its password, for messages (:func:`audiencelang.redact.redact`)."""
    return redact(url)


def _scrub(message: str, url: str) -> str:
    """A driver message without the target's password (drivers may echo the URL)."""
    return scrub(message, url)


_CONNINFO_RE = re.compile(r"^\s*(host|hostaddr|port|dbname|user|password|service|sslmode)\s*=", re.I)


def _pg_connect(url: str, shown: str, kind: str = "PostgreSQL") -> Any:
    """A psycopg connection to ``url`` (E603 without the driver, E602 when refused)."""
    try:
        import psycopg
    except ImportError:
        raise RunError(error(
            "E603", f"cannot connect to {shown}: the PostgreSQL driver psycopg is not installed",
            None, "pip install 'psycopg[binary]>=3.2' (or audiencelang[engines])")) from None
    try:
        return psycopg.connect(url, connect_timeout=10)
    except (psycopg.Error, ValueError) as exc:
        raise RunError(error("E602", f"cannot connect to {kind} database {shown}: "
                             f"{_scrub(one_line(exc), url)}")) from None


def _open_postgres(url: str) -> PostgresEngine:
    import psycopg

    shown = _redact(url)
    con = _pg_connect(url, shown)
    try:
        with con.cursor() as cur:
            # Our SQL holds string literals: `\` must never be an escape (pitfalls: injection).
            cur.execute("SET standard_conforming_strings = on")
            cur.execute("SHOW standard_conforming_strings")
            row = cur.fetchone()
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute("SET default_transaction_read_only = on")
        con.commit()
    except psycopg.Error as exc:
        con.close()
        raise RunError(error(
            "E604", f"cannot make the PostgreSQL session safe on {shown}: {_scrub(one_line(exc), url)}",
            None, "audiencelang needs standard_conforming_strings = on")) from None
    if not row or str(row[0]).lower() != "on":
        con.close()
        raise RunError(error(
            "E604", f"PostgreSQL database {shown} has standard_conforming_strings = "
            f"{row[0] if row else 'unknown'} and it cannot be set on; refusing to run",
            None, "with it off, a backslash in a string literal is an escape, which changes "
            "what a compiled audience means"))
    try:
        # The compiled SQL joins per-user aggregates, never raw rows by index; a nested loop
        # over them is only ever chosen from a too-small row estimate, and then reads an
        # aggregate once per profile (docs/run.md). A speed setting, not a safety one: a
        # server that does not know it runs the statements as they are.
        with con.cursor() as cur:
            cur.execute("SET enable_nestloop = off")
        con.commit()
    except psycopg.Error:
        con.rollback()
    try:
        # LLVM JIT compiles every expression of a statement: on a large audience it ran for
        # many minutes at GBs of memory and ignored cancel requests (docs/performance.md,
        # "Large audiences"); our statements are short scans and joins that never need it.
        with con.cursor() as cur:
            cur.execute("SET jit = off")
        con.commit()
    except psycopg.Error:
        con.rollback()
    return PostgresEngine(shown, con)


# --------------------------------------------------------------------------- Redshift


class RedshiftEngine(PostgresEngine):
    """Redshift through its PostgreSQL wire protocol; runs dialect ``redshift`` SQL."""

    dialect = "redshift"
    kind = "Redshift"


def _open_redshift(url: str) -> RedshiftEngine:
    """``redshift://…``: the dialect ``redshift`` SQL writes a quote inside a string as ``\\'``,
    as Redshift reads it. A server with ``standard_conforming_strings = on`` (every
    PostgreSQL >= 9.1 by default) reads ``\\'`` as a backslash and the end of the literal:
    a value holding a quote would then end its literal. Such a server is refused (E615),
    before any statement runs; the setting is read from the server's own report, not set."""
    pg_url = "postgresql" + url[url.index(":"):]
    shown = _redact(url)
    con = _pg_connect(pg_url, shown, "Redshift")
    scs = con.info.parameter_status("standard_conforming_strings")
    if scs is None or scs.lower() != "off":
        con.close()
        raise RunError(error(
            "E615", f"{shown} reports standard_conforming_strings = {scs or 'unknown'}: dialect redshift SQL "
            "must not run there", None,
            "the redshift SQL escapes quotes as \\' (right on Redshift); a standard-conforming server, "
            "such as PostgreSQL, reads it differently. Use a postgresql:// URL for PostgreSQL"))
    return RedshiftEngine(shown, con)


# --------------------------------------------------------------------------- MySQL / MariaDB

#: The sql_mode every MySQL/MariaDB session runs with (set, then read back). Our dialect
#: ``mysql`` SQL writes identifiers in backticks and strings in single quotes with ``\\``
#: for a backslash: it needs backslash escapes on (no NO_BACKSLASH_ESCAPES) and is written
#: so that it does not need ANSI_QUOTES (with it, a double-quoted string would become an
#: identifier: it is pinned off so that no setting of the server changes how text reads).
MYSQL_SQL_MODE = "STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
_MYSQL_FORBIDDEN_MODES = ("NO_BACKSLASH_ESCAPES", "ANSI_QUOTES", "PIPES_AS_CONCAT", "ANSI")
_MYSQL_QUERY_KEYS = {"unix_socket", "connect_timeout", "charset"}


class MySQLEngine(Engine):
    """MySQL or MariaDB through PyMySQL; runs dialect ``mysql`` SQL. Rows stream from an
    unbuffered (server-side) cursor."""

    dialect = "mysql"
    kind = "MySQL"

    def _cursor(self) -> Any:
        import pymysql.cursors

        return self.connection.cursor(pymysql.cursors.SSCursor)

    def _is_missing_table(self, exc: BaseException) -> bool:
        args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
        return len(args) > 0 and args[0] in (1146, 1049)  # no such table, no such database

    def _now_sql(self) -> str:
        return "SELECT UTC_TIMESTAMP(6)"

    def execute(self, sql: str, *, audience: str | None = None, market: str | None = None,
                params: Sequence[object] = ()) -> Rows:
        # PyMySQL formats parameters into the text with Python's % operator: without
        # parameters the text is sent as it is; with them every % of the text is doubled and
        # each `?` placeholder token (found by sqlglot's tokenizer, never inside a string or
        # identifier) becomes %s.
        if params:
            sql = _mysql_placeholders(sql)
        return super().execute(sql, audience=audience, market=market, params=params)


def _mysql_placeholders(sql: str) -> str:
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.tokenizer_core import TokenType

    out: list[str] = []
    pos = 0
    for tok in Dialect.get_or_raise("mysql").tokenize(sql):
        if tok.token_type == TokenType.PLACEHOLDER and tok.text == "?":
            out.append(sql[pos:tok.start].replace("%", "%%"))
            out.append("%s")
            pos = tok.end + 1
    out.append(sql[pos:].replace("%", "%%"))
    return "".join(out)


def _open_mysql(url: str) -> MySQLEngine:
    """``mysql://USER:PASSWORD@HOST:PORT/DATABASE?unix_socket=PATH`` (``mariadb://`` too)."""
    shown = _redact(url)
    try:
        import pymysql
    except ImportError:
        raise RunError(error(
            "E603", f"cannot connect to {shown}: the MySQL driver PyMySQL is not installed",
            None, "pip install 'pymysql>=1.1' (or audiencelang[engines])")) from None
    try:
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        port = parts.port
    except ValueError as exc:
        raise RunError(error("E603", f"malformed MySQL URL {shown}: {one_line(exc)}", None,
                             "use mysql://USER:PASSWORD@HOST:3306/DATABASE")) from None
    unknown = sorted(set(query) - _MYSQL_QUERY_KEYS)
    if unknown:
        raise RunError(error("E603", f"unknown parameter '{unknown[0]}' in MySQL URL {shown}", None,
                             "known: " + ", ".join(sorted(_MYSQL_QUERY_KEYS))))
    kw: dict[str, Any] = {
        "host": urllib.parse.unquote(parts.hostname or "localhost"),
        "port": port or 3306,
        "user": urllib.parse.unquote(parts.username) if parts.username else None,
        "password": urllib.parse.unquote(parts.password) if parts.password else "",
        "database": urllib.parse.unquote(parts.path.lstrip("/")) or None,
        "charset": query.get("charset", ["utf8mb4"])[-1],
        "connect_timeout": 10,
        "autocommit": True,
    }
    if "unix_socket" in query:
        kw["unix_socket"] = query["unix_socket"][-1]
    if "connect_timeout" in query:
        try:
            kw["connect_timeout"] = int(query["connect_timeout"][-1])
        except ValueError:
            raise RunError(error("E603", f"connect_timeout must be a number of seconds in {shown}")) from None
    try:
        con = pymysql.connect(**kw)
    except (pymysql.Error, OSError, ValueError, LookupError) as exc:
        raise RunError(error("E602", f"cannot connect to MySQL database {shown}: "
                             f"{_scrub(one_line(exc), url)}")) from None
    try:
        with con.cursor() as cur:
            cur.execute(f"SET SESSION sql_mode = '{MYSQL_SQL_MODE}'")
            cur.execute("SET SESSION time_zone = '+00:00'")
            cur.execute("SET SESSION TRANSACTION READ ONLY")
            cur.execute("SELECT @@SESSION.sql_mode, @@SESSION.time_zone")
            row = cur.fetchone()
    except pymysql.Error as exc:
        con.close()
        raise RunError(error("E604", f"cannot make the MySQL session safe on {shown}: "
                             f"{_scrub(one_line(exc), url)}")) from None
    modes = set(str(row[0] if row else "").upper().split(","))
    bad = [m for m in _MYSQL_FORBIDDEN_MODES if m in modes]
    if bad:
        con.close()
        raise RunError(error(
            "E604", f"MySQL database {shown} keeps sql_mode {bad[0]} and it cannot be turned off; "
            "refusing to run", None, "with it, string literals or quotes read differently, which "
            "changes what a compiled audience means"))
    return MySQLEngine(shown, con)


# --------------------------------------------------------------------------- ClickHouse (chdb)


class ClickHouseEngine(Engine):
    """An embedded ClickHouse (chdb) on a local data folder; runs dialect ``clickhouse`` SQL.
    Opened read-only (``readonly = 2``: SETs allowed, writes refused), session time zone UTC.
    chdb runs one embedded server per process: a second folder in the same process is E602."""

    dialect = "clickhouse"
    kind = "ClickHouse"

    def _is_missing_table(self, exc: BaseException) -> bool:
        text = str(exc)
        return "UNKNOWN_TABLE" in text or "UNKNOWN_DATABASE" in text

    def _now_sql(self) -> str:
        return "SELECT now64(6, 'UTC')"

    def execute(self, sql: str, *, audience: str | None = None, market: str | None = None,
                params: Sequence[object] = ()) -> Rows:
        if params:
            # ClickHouse binds only named, typed parameters ({name:Type}); the statements
            # with placeholders (explain's profile reads) are not supported here yet.
            raise RunError(error(
                "E603", f"{_where(audience, market)}statements with bound values are not supported on "
                f"ClickHouse (chdb) yet", None, "run explain on another engine holding the same data",
                audience=audience, market=market))
        return super().execute(sql, audience=audience, market=market)


def _open_chdb(path: Path, shown: str) -> ClickHouseEngine:
    try:
        import chdb
    except ImportError:
        raise RunError(error("E603", f"cannot open {shown}: chdb is not installed", None,
                             "pip install chdb (or audiencelang[engines])")) from None
    if not path.exists():
        raise RunError(error("E601", f"chdb data folder not found: {shown}", None,
                             "pass --db chdb:///PATH to the folder a chdb session wrote"))
    if not path.is_dir() or not (path / "metadata").is_dir():
        raise RunError(error("E601", f"not a chdb data folder (no metadata/ in it): {shown}"))
    try:
        con = chdb.connect("file:" + str(path.absolute()) + "?mode=ro")  # type: ignore[no-untyped-call]
        con.query("SET session_timezone = 'UTC'")
    except Exception as exc:
        raise RunError(error("E602", f"cannot open chdb database {shown}: {one_line(exc)}")) from None
    return ClickHouseEngine(shown, con)


# --------------------------------------------------------------------------- Spark

#: Runtime SQL settings of every Spark session ``run`` uses (docs/sql.md, "What the SQL
#: assumes of the session"): UTC, backslash escapes read as escapes, ANSI mode.
SPARK_SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.parser.escapedStringLiterals": "false",
    "spark.sql.ansi.enabled": "true",
}


class SparkEngine(Engine):
    """Spark SQL (dialect ``spark``): a local Spark (``spark+local://``) or a Spark Connect
    server (``sc://``). Rows stream partition by partition (``toLocalIterator``). Spark has
    no read-only session: ``run`` only ever sends SELECT statements."""

    dialect = "spark"
    kind = "Spark"

    def __init__(self, target: str, connection: Any, *, owned: bool, warehouse: Path | None = None,
                 shares_files: bool = True) -> None:
        super().__init__(target, connection)
        self._owned = owned
        self.warehouse = warehouse
        #: Spark writes files where this process sees them (local Spark, a Connect server on
        #: a loopback host): ``run --output X.parquet`` lets Spark write (run/spark_output.py)
        self.shares_files = shares_files

    def _is_missing_table(self, exc: BaseException) -> bool:
        text = str(exc)
        return "TABLE_OR_VIEW_NOT_FOUND" in text or "SCHEMA_NOT_FOUND" in text

    def execute(self, sql: str, *, audience: str | None = None, market: str | None = None,
                params: Sequence[object] = ()) -> Rows:
        try:
            df = self.connection.sql(sql, args=list(params)) if params else self.connection.sql(sql)
            columns = [str(c) for c in df.columns]
            it = df.toLocalIterator()
        except Exception as exc:
            raise self.translate(exc, audience, market) from None
        return Rows(self, _SparkCursor(it), columns, (audience, market))

    def now(self) -> dt.datetime:
        try:
            _, rows = self.fetch_all("SELECT unix_micros(current_timestamp())")
            return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(rows[0][0]))
        except (RunError, IndexError, TypeError, ValueError):
            return dt.datetime.now(dt.UTC)

    def prepare(self, market: Market) -> None:
        """Local Spark: each market table ``db.t`` is the Parquet folder ``WAREHOUSE/db.db/t``
        (``WAREHOUSE/t`` without a database), the layout Spark's ``saveAsTable`` writes;
        registered in this session's catalog (no data is written)."""
        if self.warehouse is None:
            return
        tables = [market.profiles.table, *(e.table for e in market.events.values())]
        if market.consent is not None:
            tables.append(market.consent.table)
        spark = self.connection
        for table in sorted(set(tables)):
            parts = table.split(".")
            if "${" in table or len(parts) > 2:
                continue  # refused by the compiler (E508) or not a local table: the statement says
            quoted = ".".join("`" + p.replace("`", "``") + "`" for p in parts)
            folder = self.warehouse / (parts[0] + ".db" if len(parts) == 2 else "") / parts[-1]
            try:
                if spark.catalog.tableExists(quoted):
                    continue
                if not folder.is_dir():
                    continue  # the statement reports the missing table (E606)
                if len(parts) == 2:
                    spark.sql(f"CREATE DATABASE IF NOT EXISTS {quoted.split('.')[0]}")
                spark.catalog.createTable(quoted, path=str(folder.absolute()), source="parquet")
            except Exception as exc:
                raise RunError(error(
                    "E602", f"cannot register table {table} of market {market.market} from "
                    f"{folder}: {one_line(exc)}", market=market.market)) from None

    def close(self) -> None:
        if self._owned:
            with contextlib.suppress(Exception):
                self.connection.stop()


class _SparkCursor:
    """``fetchmany`` over a DataFrame's local iterator; naive timestamps (Python's local
    time, as PySpark converts them) become naive UTC."""

    def __init__(self, it: Iterator[Any]) -> None:
        self._it = it

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        out = []
        for row in self._it:
            out.append(tuple(_spark_value(v) for v in row))
            if len(out) >= size:
                break
        return out

    def close(self) -> None:
        close = getattr(self._it, "close", None)
        if close is not None:
            close()


def _spark_value(v: object) -> object:
    if isinstance(v, dt.datetime) and v.tzinfo is None:
        return v.astimezone(dt.UTC).replace(tzinfo=None)
    return v


def _pin_spark(spark: Any, shown: str) -> None:
    try:
        for key, value in SPARK_SQL_CONF.items():
            spark.conf.set(key, value)
        got = {k: str(spark.conf.get(k)).lower() for k in SPARK_SQL_CONF}
    except Exception as exc:
        raise RunError(error("E604", f"cannot make the Spark session safe on {shown}: {one_line(exc)}")) from None
    for key, value in SPARK_SQL_CONF.items():
        if got[key] != value.lower():
            raise RunError(error("E604", f"Spark session {shown} keeps {key} = {got[key]} (needs {value}); "
                                 "refusing to run"))


def _open_spark_local(path: Path, shown: str) -> SparkEngine:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RunError(error("E603", f"cannot open {shown}: pyspark is not installed", None,
                             "pip install 'pyspark>=4.0' (or audiencelang[engines]); it needs Java 17")) from None
    if not path.is_dir():
        raise RunError(error("E601", f"Spark warehouse folder not found: {shown}", None,
                             "pass --db spark+local:///FOLDER holding one Parquet folder per table "
                             "(FOLDER/DB.db/TABLE)"))
    owned = SparkSession.getActiveSession() is None
    try:
        spark = (SparkSession.builder.master("local[*]").appName("audiencelang")
                 .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.warehouse.dir", str(path.absolute()))
                 .getOrCreate())
        if owned:
            spark.sparkContext.setLogLevel("ERROR")
    except Exception as exc:
        raise RunError(error("E602", f"cannot start a local Spark for {shown}: {one_line(exc)}", None,
                             "Spark needs Java 17 or later (JAVA_HOME)")) from None
    _pin_spark(spark, shown)
    return SparkEngine(shown, spark, owned=owned, warehouse=path)


def _open_spark_connect(url: str) -> SparkEngine:
    """``sc://HOST:PORT`` (Spark Connect's own URL, ``/;token=…;use_ssl=true`` included)."""
    import socket

    shown = _redact(url)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise RunError(error("E603", f"cannot connect to {shown}: pyspark is not installed", None,
                             "pip install 'pyspark[connect]>=4.0' (or audiencelang[engines])")) from None
    try:
        parts = urllib.parse.urlsplit(url.split(";", 1)[0])
        host, port = parts.hostname or "localhost", parts.port or 15002
    except ValueError as exc:
        raise RunError(error("E603", f"malformed Spark Connect URL {shown}: {one_line(exc)}", None,
                             "use sc://HOST:15002")) from None
    import logging

    # PySpark's client logs every failed statement as JSON on stderr; run reports it (E605/E606)
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    try:  # the client retries for minutes against a closed port: ask once first
        socket.create_connection((host, port), timeout=10).close()
    except OSError as exc:
        raise RunError(error("E602", f"cannot connect to Spark Connect server {shown}: "
                             f"{exc.strerror or exc}")) from None
    import os

    mode = os.environ.get("SPARK_CONNECT_MODE_ENABLED")
    try:
        spark = SparkSession.builder.remote(url).create()
        spark.sql("SELECT 1").collect()
    except Exception as exc:
        raise RunError(error("E602", f"cannot connect to Spark Connect server {shown}: "
                             f"{_scrub(one_line(exc), url)}")) from None
    finally:
        # PySpark marks the whole process as "Connect mode" when a remote session is
        # created: a local Spark (spark+local://) could not start in this process after it
        if mode is None:
            os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)
    _pin_spark(spark, shown)
    return SparkEngine(shown, spark, owned=True, shares_files=_is_loopback(host))


def _is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (no name lookup)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- connect


def _require_file(path: Path, shown: str) -> None:
    if not path.exists():
        raise RunError(error(
            "E601", f"database file not found: {shown}", None,
            "pass --db PATH_OR_URL; create demo data with `audiencelang demo generate --db "
            f"{shown}`" if path.suffix in {".duckdb", ".db"} else "pass --db PATH_OR_URL"))
    if path.is_dir():
        raise RunError(error("E601", f"database path is a folder, not a file: {shown}"))


def _is_sqlite_file(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC
    except OSError:
        return False


def _url_path(rest: str) -> Path:
    """``sqlite:///rel.db`` → ``rel.db``; ``sqlite:////abs.db`` → ``/abs.db`` (SQLAlchemy style)."""
    return Path(urllib.parse.unquote(rest.split("?", 1)[0]))


def connect(target: str | Path | None, *, project_root: Path | str | None = None) -> Engine:
    """Open the database named by ``target`` (a path or URL; see the module docs).

    ``None`` means ``audiencelang.duckdb`` in ``project_root`` (default: the current
    folder). Raises :class:`RunError` (E601 missing file, E602 cannot connect, E603
    unsupported target, E604 unsafe session, E615 redshift:// URL of a server that is not
    Redshift-like); never creates a file.
    """
    if target is None:
        root = Path(project_root) if project_root is not None else Path()
        path = root / DEFAULT_DB_NAME
        engine = _open_duckdb(path, str(path))
        engine.default_db = True
        return engine
    text = str(target)
    if not text.strip():
        raise RunError(error("E603", "empty database target", None, "pass --db PATH_OR_URL"))
    if "\x00" in text:
        raise RunError(error("E603", "database target contains a NUL character"))
    lower = text.lower()
    if lower.startswith(("postgresql://", "postgres://")) or _CONNINFO_RE.match(text):
        return _open_postgres(text)
    if lower.startswith("redshift://"):
        return _open_redshift(text)
    if lower.startswith(("mysql://", "mariadb://")):
        return _open_mysql(text)
    if lower.startswith("sc://"):
        return _open_spark_connect(text)
    openers: tuple[tuple[str, Callable[[Path, str], Engine]], ...] = (("duckdb:", _open_duckdb), ("sqlite:", _open_sqlite),
                                            ("chdb:", _open_chdb),
                                                              ("spark+local:", _open_spark_local))
    for scheme, opener in openers:
        if lower.startswith(scheme):
            rest = text[len(scheme):]
            if not rest.startswith("///") or len(rest) == 3:
                raise RunError(error(
                    "E603", f"malformed {scheme[:-1]} URL: {redact(text)}", None,
                    f"use {scheme}///relative/path or {scheme}////absolute/path"))
            path = _url_path(rest[3:])
            if scheme == "duckdb:" and str(path) == ":memory:":
                return _open_duckdb(path, text)
            return opener(path, redact(text))
    other = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", text)
    if other:
        scheme = other.group(1)
        raise RunError(error(
            "E603", f"unsupported database URL scheme '{scheme}': {_redact(text)}", None,
            "supported: a DuckDB or SQLite file path, duckdb:///PATH, sqlite:///PATH, "
            "postgresql://USER@HOST/DB, redshift://USER@HOST:5439/DB, mysql://USER@HOST:3306/DB, chdb:///FOLDER, spark+local:///FOLDER, sc://HOST:15002"))
    path = Path(text).expanduser()
    shown = redact(text)
    if path.suffix.lower() in _SQLITE_SUFFIXES or (path.is_file() and _is_sqlite_file(path)):
        return _open_sqlite(path, shown)
    return _open_duckdb(path, shown)


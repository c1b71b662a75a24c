"""The database servers reached by URL: PostgreSQL, Redshift and MySQL/MariaDB."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import urllib.parse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from audiencelang.diagnostics import error
from audiencelang.redact import redact, scrub
from audiencelang.run.engines.base import Engine, Rows, RunError, _as_utc, one_line

if TYPE_CHECKING:
    pass


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

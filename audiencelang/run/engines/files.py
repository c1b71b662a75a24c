"""The embedded engines, opened on a file or folder: DuckDB, SQLite and ClickHouse (chdb)."""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiencelang.diagnostics import error
from audiencelang.run.engines.base import Engine, Rows, RunError, _require_file, _where, one_line

if TYPE_CHECKING:
    from audiencelang.schema.market import Market


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

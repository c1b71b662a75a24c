"""The engine interface every database implements: :class:`Engine` (one statement at a time,
rows in batches), :class:`Rows`, :class:`RunError` and its E6xx diagnostics."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audiencelang.diagnostics import AudienceLangError, Diagnostic, error
from audiencelang.redact import redact

if TYPE_CHECKING:
    from audiencelang.schema.market import Market


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


def _require_file(path: Path, shown: str) -> None:
    if not path.exists():
        raise RunError(error(
            "E601", f"database file not found: {shown}", None,
            "pass --db PATH_OR_URL; create demo data with `audiencelang demo generate --db "
            f"{shown}`" if path.suffix in {".duckdb", ".db"} else "pass --db PATH_OR_URL"))
    if path.is_dir():
        raise RunError(error("E601", f"database path is a folder, not a file: {shown}"))

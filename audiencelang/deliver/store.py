"""The delivery state in the warehouse (spec §11, docs/deliver.md): a writable connection,
the versioned state tables, the per-key lock, and reads of the history.

One :class:`StateStore` wraps one :class:`~audiencelang.run.engines.Engine` opened for
delivering (:func:`connect`): DuckDB read-write (the state schema lives in the same file),
SQLite read-only with the state in an attached database file ``<data>.<schema>.sqlite``
beside the data file, PostgreSQL with a writable session. Every write goes to a table of
the state schema (and a temporary table of the session); the data is only read.

Statements hold user values only as bound parameters; the only name written into their
text is the state schema, validated by the config (``[A-Za-z_][A-Za-z0-9_]*``) and quoted.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audiencelang.diagnostics import error
from audiencelang.run.engines import (
    DUCKDB_CONFIG,
    DuckDBEngine,
    Engine,
    PostgresEngine,
    RunError,
    SQLiteEngine,
    one_line,
)

__all__ = ["LAYOUT_VERSION", "DeliveryRow", "StateStore", "connect"]

LAYOUT_VERSION = 1
"""The version of the state tables' layout, kept in ``<schema>.meta`` (key ``layout_version``)."""

_READ_ONLY: dict[int, set[str]] = {}
"""SQLite: per connection (``id``), the state schemas attached read-only by a read."""

STAGE = "audiencelang_stage"
"""The session's temporary table holding the new deliverable list (never in the state schema);
always written qualified (:attr:`StateStore.stage`), so that a data table of that name is
neither read nor dropped in its place."""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- connecting


def connect(target: str | Path | None, *, project_root: Path | str | None = None) -> Engine:
    """Open ``target`` for delivering: like :func:`audiencelang.run.connect`, but DuckDB
    read-write (its state schema lives in the same file) and PostgreSQL with a writable
    session. SQLite stays read-only (the state goes to an attached file). Other engines: E703.
    A DuckDB file another process holds is E706. Raises :class:`RunError`."""
    from audiencelang.run.engines import DEFAULT_DB_NAME
    from audiencelang.run.engines import connect as run_connect

    if target is None:
        root = Path(project_root) if project_root is not None else Path()
        target = root / DEFAULT_DB_NAME
    text = str(target)
    lower = text.lower()
    if lower.startswith(("postgresql://", "postgres://")) or ("=" in text and not lower.startswith(
            ("duckdb:", "sqlite:"))):
        engine = run_connect(text)
        if type(engine) is not PostgresEngine:
            engine.close()
            raise _unsupported(engine.kind)
        try:
            with engine.connection.cursor() as cur:
                cur.execute("SET default_transaction_read_only = off")
            engine.connection.commit()
        except Exception as exc:
            engine.close()
            raise RunError(error("E700", f"cannot open a writable session on {engine.target}: "
                                 f"{one_line(exc)}")) from None
        return engine
    if lower.startswith(("redshift://", "mysql://", "mariadb://", "sc://", "chdb:", "spark+local:")):
        raise _unsupported(text.split(":", 1)[0])
    try:
        engine = run_connect(text)  # validates the path, the URL forms and the file kind
    except RunError as exc:
        if exc.diagnostic.code == "E602" and "lock" in exc.diagnostic.message.lower():
            raise _in_use(exc.diagnostic.message) from None
        raise
    if isinstance(engine, SQLiteEngine):
        return engine
    if not isinstance(engine, DuckDBEngine):
        engine.close()
        raise _unsupported(engine.kind)
    if str(target).endswith(":memory:"):
        return engine  # an in-memory database is writable already
    shown = engine.target
    path = Path(engine.connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0])
    engine.close()
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=False, config=DUCKDB_CONFIG)
    except duckdb.Error as exc:
        message = one_line(exc)
        if "lock" in message.lower():
            raise _in_use(f"cannot open DuckDB database {shown}: {message}") from None
        raise RunError(error("E602", f"cannot open DuckDB database {shown} for writing: {message}")) from None
    with contextlib.suppress(duckdb.Error):
        con.execute("SET TimeZone = 'UTC'")
    return DuckDBEngine(shown, con)


def _in_use(message: str) -> RunError:
    return RunError(error(
        "E706", f"the database is in use by another process: {message}", None,
        "a DuckDB file has one writer at a time: another `deliver` (or a program holding the file "
        "open) runs now; run again when it has finished"))


def _unsupported(kind: str) -> RunError:
    return RunError(error("E703", f"deliver does not support {kind} databases yet", None,
                          "deliver runs on DuckDB, SQLite and PostgreSQL (docs/deliver.md)"))


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class DeliveryRow:
    """One row of ``<schema>.deliveries``."""

    delivery_id: int
    audience: str
    market: str
    destination: str
    seq: int
    as_of: dt.datetime
    status: str
    min_size: int
    members: int
    without_identifier: int
    suppressed: int
    deliverable: int
    listed: int
    entered: int
    exited: int
    definition_hash: str
    sql_hash: str
    folder: str | None
    created_at: dt.datetime
    audiencelang_version: str

    def to_json(self) -> dict[str, Any]:
        from audiencelang.run.execute import format_as_of

        out: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["as_of"] = format_as_of(self.as_of)
        out["created_at"] = format_as_of(self.created_at)
        return out


COLUMNS = tuple(DeliveryRow.__dataclass_fields__)


def _as_dt(value: object) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert isinstance(value, dt.datetime)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# --------------------------------------------------------------------------- the store


class StateStore:
    """The state tables of one schema on one delivering engine (see the module docs)."""

    def __init__(self, engine: Engine, schema: str) -> None:
        self.engine = engine
        self.schema = schema
        self.kind = engine.kind
        if isinstance(engine, SQLiteEngine):
            self.param = "?"
            self.text_type, self.time_type, self.int_type = "TEXT", "TEXT", "INTEGER"
            self.stage = f"temp.{STAGE}"
        elif isinstance(engine, PostgresEngine):
            self.param = "%s"
            self.text_type, self.time_type, self.int_type = "TEXT", "TIMESTAMP", "BIGINT"
            self.stage = f"pg_temp.{STAGE}"
        elif isinstance(engine, DuckDBEngine):
            self.param = "?"
            self.text_type, self.time_type, self.int_type = "VARCHAR", "TIMESTAMP", "BIGINT"
            self.stage = f"temp.{STAGE}"
        else:
            raise _unsupported(engine.kind)
        self.s = _q(schema)

    # -- low level

    def table(self, name: str) -> str:
        return f"{self.s}.{_q(name)}"

    def sql(self, text: str) -> str:
        """``text`` with ``{s}`` the quoted schema and ``?`` the engine's placeholder."""
        return text.replace("{s}", self.s).replace("?", self.param)

    def _cursor(self, name: str | None = None) -> Any:
        # DuckDB: a cursor() is another connection (its own transaction and temporary
        # tables): every statement of a delivery runs on the connection itself
        if isinstance(self.engine, DuckDBEngine):
            return self.engine.connection
        if name is not None and isinstance(self.engine, PostgresEngine):
            return self.engine.connection.cursor(name=name)  # server-side: streams
        return self.engine.connection.cursor()

    def _close(self, cur: Any) -> None:
        if cur is not self.engine.connection:
            with contextlib.suppress(Exception):
                cur.close()

    def exec(self, text: str, params: Sequence[object] = ()) -> None:
        cur = self._cursor()
        try:
            cur.execute(self.sql(text), tuple(self._bind(p) for p in params))
        finally:
            self._close(cur)

    def query(self, text: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        cur = self._cursor()
        try:
            cur.execute(self.sql(text), tuple(self._bind(p) for p in params))
            return [tuple(r) for r in cur.fetchall()]
        finally:
            self._close(cur)

    def stream(self, text: str, params: Sequence[object] = (), size: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of one statement in batches (PostgreSQL: a server-side cursor)."""
        self._streams = getattr(self, "_streams", 0) + 1
        cur = self._cursor(f"audiencelang_deliver_{self._streams}")
        try:
            cur.execute(self.sql(text), tuple(self._bind(p) for p in params))
            while True:
                batch = cur.fetchmany(size)
                if not batch:
                    return
                yield [tuple(r) for r in batch]
        finally:
            self._close(cur)

    def _bind(self, value: object) -> object:
        if isinstance(value, dt.datetime):
            naive = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
            if isinstance(self.engine, SQLiteEngine):
                return naive.isoformat(sep=" ")
            return naive
        return value

    def begin(self) -> None:
        if isinstance(self.engine, SQLiteEngine):
            self.engine.connection.execute("BEGIN IMMEDIATE")
        elif isinstance(self.engine, DuckDBEngine):
            self.engine.connection.execute("BEGIN TRANSACTION")
        # PostgreSQL (psycopg, not autocommit): the first statement opens the transaction

    def commit(self) -> None:
        if isinstance(self.engine, SQLiteEngine | DuckDBEngine):
            self.engine.connection.execute("COMMIT")
        else:
            self.engine.connection.commit()

    def rollback(self) -> None:
        with contextlib.suppress(Exception):
            if isinstance(self.engine, SQLiteEngine | DuckDBEngine):
                self.engine.connection.execute("ROLLBACK")
            else:
                self.engine.connection.rollback()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def fail(self, what: str, exc: BaseException) -> RunError:
        return RunError(error("E700", f"cannot {what} in state schema {self.schema} of {self.kind} "
                                      f"database {self.engine.target}: {one_line(exc)}", None,
                              "deliver needs to create and write tables in the state schema "
                              "([state] schema in the project config; docs/deliver.md)"))

    # -- setup

    def sqlite_state_file(self) -> Path:
        assert isinstance(self.engine, SQLiteEngine)
        path = self.engine.path
        return path.with_name(f"{path.stem}.{self.schema}.sqlite")

    def ensure(self) -> None:
        """Create the schema and tables when missing; check the layout version (E701)."""
        try:
            if isinstance(self.engine, SQLiteEngine):
                import urllib.parse

                attached = {str(r[1]) for r in self.engine.connection.execute("PRAGMA database_list")}
                if self.schema in attached and self._read_only_attached():
                    self.engine.connection.execute(f"DETACH DATABASE {self.s}")  # attached by a read
                    _READ_ONLY.get(id(self.engine.connection), set()).discard(self.schema)
                    attached.discard(self.schema)
                if self.schema not in attached:
                    uri = "file:" + urllib.parse.quote(str(self.sqlite_state_file().absolute())) + "?mode=rwc"
                    self.engine.connection.execute(f"ATTACH DATABASE ? AS {self.s}", (uri,))
                    self.engine.connection.execute("PRAGMA busy_timeout = 10000")
            with self.transaction():
                rows = self._create()
        except RunError:
            raise
        except Exception as exc:
            raise self.fail("create the state tables", exc) from None
        version = rows[0][0] if rows else str(LAYOUT_VERSION)
        if version != str(LAYOUT_VERSION):
            raise RunError(error(
                "E701", f"the state tables in schema {self.schema} have layout version {version}; this "
                f"audiencelang reads version {LAYOUT_VERSION}", None,
                "use the audiencelang version that wrote them, or another [state] schema (docs/deliver.md)"))

    def _read_only_attached(self) -> bool:
        """SQLite: the state file was attached read-only (by a read on this connection)."""
        return self.schema in _READ_ONLY.get(id(self.engine.connection), set())

    def _create(self) -> list[tuple[Any, ...]]:
        if not isinstance(self.engine, SQLiteEngine):
            self._setup_lock()
            self.exec("CREATE SCHEMA IF NOT EXISTS {s}")
        t, ts, i = self.text_type, self.time_type, self.int_type
        self.exec(f"CREATE TABLE IF NOT EXISTS {{s}}.meta (key {t} PRIMARY KEY, value {t} NOT NULL)")
        self.exec(f"""CREATE TABLE IF NOT EXISTS {{s}}.deliveries (
    delivery_id {i} PRIMARY KEY,
    audience {t} NOT NULL,
    market {t} NOT NULL,
    destination {t} NOT NULL,
    seq {i} NOT NULL,
    as_of {ts} NOT NULL,
    status {t} NOT NULL,
    min_size {i} NOT NULL,
    members {i} NOT NULL,
    without_identifier {i} NOT NULL,
    suppressed {i} NOT NULL,
    deliverable {i} NOT NULL,
    listed {i} NOT NULL,
    entered {i} NOT NULL,
    exited {i} NOT NULL,
    definition_hash {t} NOT NULL,
    sql_hash {t} NOT NULL,
    folder {t},
    created_at {ts} NOT NULL,
    audiencelang_version {t} NOT NULL,
    UNIQUE (audience, market, destination, seq)
)""")
        self.exec(f"""CREATE TABLE IF NOT EXISTS {{s}}.delivered_members (
    delivery_id {i} NOT NULL,
    member_id {t} NOT NULL,
    identifier {t}
)""")
        # no primary key: a unique index made inserting a list ~13x slower on DuckDB (whose
        # row groups are skipped by delivery_id anyway); the ids of one list are distinct by
        # construction. PostgreSQL and SQLite get an index for the anti-joins.
        if isinstance(self.engine, PostgresEngine):
            self.exec("CREATE INDEX IF NOT EXISTS delivered_members_by_delivery "
                      "ON {s}.delivered_members (delivery_id, member_id)")
        elif isinstance(self.engine, SQLiteEngine):
            self.exec("CREATE INDEX IF NOT EXISTS {s}.delivered_members_by_delivery "
                      "ON delivered_members (delivery_id, member_id)")
        self.exec(f"""CREATE TABLE IF NOT EXISTS {{s}}.locks (
    audience {t} NOT NULL,
    market {t} NOT NULL,
    destination {t} NOT NULL,
    holder {t} NOT NULL,
    started_at {ts} NOT NULL,
    PRIMARY KEY (audience, market, destination)
)""")
        rows = self.query("SELECT value FROM {s}.meta WHERE key = ?", ("layout_version",))
        if not rows:
            self.exec("INSERT INTO {s}.meta (key, value) VALUES (?, ?)", ("layout_version", str(LAYOUT_VERSION)))
        return rows

    def _setup_lock(self) -> None:
        """PostgreSQL: serialise the creation of the tables (two first deliveries at once
        would both create them); released at the end of the transaction."""
        if isinstance(self.engine, PostgresEngine):
            self.exec("SELECT pg_advisory_xact_lock(?)", (_key_number(self.schema, "setup"),))

    # -- the per-key lock

    def acquire(self, audience: str, market: str, destination: str) -> None:
        """Take the lock of audience x market x destination (a row of ``locks``, plus a
        PostgreSQL session advisory lock); E702 when another delivery holds it."""
        key = (audience, market, destination)
        holder = f"{socket.gethostname()}:{os.getpid()}"
        now = dt.datetime.now(dt.UTC)
        if isinstance(self.engine, PostgresEngine):
            got = self.query("SELECT pg_try_advisory_lock(?)", (_key_number(self.schema, *key),))[0][0]
            self.commit()
            if not got:
                rows = self.query("SELECT holder, started_at FROM {s}.locks WHERE audience = ? AND market = ? "
                                  "AND destination = ?", key)
                self.commit()
                raise self._busy(key, rows[0] if rows else None)
        try:
            with self.transaction():
                rows = self.query("SELECT holder, started_at FROM {s}.locks WHERE audience = ? AND market = ? "
                                  "AND destination = ?", key)
                if rows and not self._stale(str(rows[0][0])):
                    raise self._busy(key, rows[0])
                if rows:  # left by a delivery that died: its holder is gone
                    self.exec("DELETE FROM {s}.locks WHERE audience = ? AND market = ? AND destination = ?", key)
                self.exec("INSERT INTO {s}.locks (audience, market, destination, holder, started_at) "
                          "VALUES (?, ?, ?, ?, ?)", (*key, holder, now))
        except RunError:
            self._unlock_session(key)
            raise
        except Exception as exc:
            self._unlock_session(key)
            if _is_conflict(exc):
                raise self._busy(key, None) from None
            raise self.fail("take the delivery lock", exc) from None

    def _stale(self, holder: str) -> bool:
        if isinstance(self.engine, PostgresEngine):
            return True  # we hold the advisory lock: the holder's session is gone
        host, _, pid = holder.rpartition(":")
        if isinstance(self.engine, DuckDBEngine):
            # the file has one writer process: a lock row of another process is left over
            return not (pid.isdigit() and int(pid) == os.getpid())
        if host != socket.gethostname() or not pid.isdigit():
            return False
        from audiencelang.run.output import _alive

        return int(pid) != os.getpid() and not _alive(int(pid))

    def _busy(self, key: tuple[str, str, str], row: tuple[Any, ...] | None) -> RunError:
        audience, market, destination = key
        since = f" (held by {row[0]} since {_as_dt(row[1]).isoformat().replace('+00:00', 'Z')})" if row else ""
        return RunError(error(
            "E702", f"another delivery of {audience} (market {market}) to {destination} is in progress{since}",
            None, "run again when it has finished; a lock left by a process that died on this host is "
            "taken over by the next delivery (docs/deliver.md, \"Locks\")",
            audience=audience, market=market))

    def release(self, audience: str, market: str, destination: str) -> None:
        """Drop the lock (best effort; after a failure)."""
        key = (audience, market, destination)
        with contextlib.suppress(Exception):
            self.rollback()
            with self.transaction():
                self.exec("DELETE FROM {s}.locks WHERE audience = ? AND market = ? AND destination = ?", key)
        self._unlock_session(key)

    def _unlock_session(self, key: tuple[str, str, str]) -> None:
        if isinstance(self.engine, PostgresEngine):
            with contextlib.suppress(Exception):
                self.rollback()
                self.exec("SELECT pg_advisory_unlock(?)", (_key_number(self.schema, *key),))
                self.commit()

    # -- reads

    def last(self, audience: str, market: str, destination: str) -> DeliveryRow | None:
        rows = self.history(audience, market, destination, limit=1)
        return rows[0] if rows else None

    def history(self, audience: str | None = None, market: str | None = None, destination: str | None = None,
                *, limit: int | None = None) -> list[DeliveryRow]:
        """Past deliveries, newest first (by audience, market, destination, then seq)."""
        where, params = [], []
        for column, value in (("audience", audience), ("market", market), ("destination", destination)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        text = (f"SELECT {', '.join(COLUMNS)} FROM {{s}}.deliveries"
                + (" WHERE " + " AND ".join(where) if where else "")
                + " ORDER BY created_at DESC, seq DESC" + (f" LIMIT {int(limit)}" if limit else ""))
        rows = self.query(text, params)
        out = []
        for r in rows:
            d = dict(zip(COLUMNS, r, strict=True))
            for k in ("as_of", "created_at"):
                d[k] = _as_dt(d[k])
            for k in ("delivery_id", "seq", "min_size", "members", "without_identifier", "suppressed",
                      "deliverable", "listed", "entered", "exited"):
                d[k] = int(d[k])
            out.append(DeliveryRow(**d))
        return out

    def tables_exist(self) -> bool:
        """Whether the state tables exist (SQLite: the state file is attached read-only when
        it exists; nothing is created)."""
        if isinstance(self.engine, SQLiteEngine):
            import urllib.parse

            attached = {str(r[1]) for r in self.engine.connection.execute("PRAGMA database_list")}
            if self.schema not in attached:
                state = self.sqlite_state_file()
                if not state.is_file():
                    return False
                uri = "file:" + urllib.parse.quote(str(state.absolute())) + "?mode=ro"
                self.engine.connection.execute(f"ATTACH DATABASE ? AS {self.s}", (uri,))
                _READ_ONLY.setdefault(id(self.engine.connection), set()).add(self.schema)
        try:
            self.query("SELECT count(*) FROM {s}.deliveries")
            return True
        except Exception:
            self.rollback()
            return False


def _key_number(*parts: str) -> int:
    """A signed 64-bit number for a PostgreSQL advisory lock."""
    digest = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _is_conflict(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(w in text for w in ("unique", "primary key", "conflict", "duplicate", "locked", "busy"))

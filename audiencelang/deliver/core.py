"""``deliver``: one audience x market x destination handed over as a change (spec §11).

::

    from audiencelang.deliver import connect, deliver
    from audiencelang.project import load_project

    project = load_project("examples")
    with connect("demo.duckdb") as engine:
        result = deliver(project, "cart_abandoners", "de", "meta_ads", engine=engine,
                         output="deliveries")
    result.status, result.entered, result.exited, result.folder

The order of one delivery (docs/deliver.md, "Guarantees"):

1. create the state tables when missing; take the lock of the key (E702 when held);
2. store every member with its identifier and whether the destination is handed it (the
   ``deliverable`` statement: one evaluation of the audience) in a temporary table of the
   session; count from it the members, matchable and deliverable members: the gate;
3. compute in the warehouse entered (the list minus the last delivery's members; only
   when the gate is open) and exited (the last delivery's members minus the list) and
   stream them into files of a temporary folder, fsynced, renamed into place;
4. record the delivery and its member list (the list when the gate is open, else the last
   list minus the exited) and drop the lock, in one transaction; mark the folder.

A crash before 4 commits records nothing: the next delivery repeats the change (at least
once), and moves the unrecorded folder aside (``.unrecorded``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from audiencelang.__about__ import __version__
from audiencelang.arguments import returns_diagnostics
from audiencelang.deliver.files import DeliveryFolder, key_folder, mark_recorded, recover
from audiencelang.deliver.store import DeliveryRow, StateStore
from audiencelang.diagnostics import Diagnostic, did_you_mean, error
from audiencelang.run.engines import Engine, RunError
from audiencelang.run.execute import Gate, format_as_of

if TYPE_CHECKING:
    from audiencelang.check.checked import CheckedAudience
    from audiencelang.project import Project

__all__ = ["DeliveryResult", "deliver", "deliver_all", "history"]

Status = Literal["delivered", "held", "failed", "not_run"]
_HASH_AS_OF = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class DeliveryResult:
    """What one delivery did. ``status``: ``delivered`` (the gate is open: entered and exited
    handed over), ``held`` (the gate holds the list back: only exits), ``failed`` (nothing
    recorded; ``diagnostics`` say why) or ``not_run`` (the command named something unknown,
    or the audience does not check or compile)."""

    audience: str
    market: str
    destination: str
    status: Status
    as_of: dt.datetime | None = None
    gate: Gate | None = None
    entered: int = 0
    exited: int = 0
    listed: int = 0
    """Members on the destination's list after this delivery (what the state records)."""
    seq: int | None = None
    """This delivery's number for the key (1, 2, ...)."""
    previous: int | None = None
    """The number of the delivery it was compared with (``None``: the first one)."""
    delivery_id: int | None = None
    folder: Path | None = None
    recorded: bool = False
    dry_run: bool = False
    unrecorded: tuple[str, ...] = ()
    """Folders of earlier runs that never recorded, moved aside (``NAME.unrecorded``)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("delivered", "held")

    @property
    def usage_error(self) -> bool:
        from audiencelang.run.execute import USAGE_CODES

        return any(d.code in USAGE_CODES for d in self.diagnostics)

    def to_json(self) -> dict[str, Any]:
        from audiencelang.check.output import diagnostic_json

        g = self.gate
        return {
            "audience": self.audience, "market": self.market, "destination": self.destination,
            "status": self.status, "as_of": format_as_of(self.as_of) if self.as_of else None,
            "seq": self.seq, "previous": self.previous, "delivery_id": self.delivery_id,
            "entered": self.entered, "exited": self.exited, "listed": self.listed,
            "members": g.members if g else None, "without_identifier": g.without_identifier if g else None,
            "suppressed": g.suppressed if g else None, "deliverable": g.size if g else None,
            "min_size": g.minimum if g else None,
            "folder": str(self.folder) if self.folder else None, "recorded": self.recorded,
            "dry_run": self.dry_run, "unrecorded": list(self.unrecorded),
            "diagnostics": [diagnostic_json(d) for d in self.diagnostics
                            if d.is_error or not d.code.startswith("L")],
        }


# --------------------------------------------------------------------------- fault hooks


def _fault(point: str) -> None:
    """Test hooks (docs/deliver.md, "Testing the guarantees"): ``AUDIENCELANG_DELIVER_FAULT``
    = ``kill:POINT`` kills this process at POINT, ``pause:POINT:SECONDS`` sleeps there.
    Points: ``locked``, ``published``, ``before_commit``. With ``AUDIENCELANG_DELIVER_FAULT_MARK``
    = a path, that file is created when the point is reached (before the kill or pause)."""
    spec = os.environ.get("AUDIENCELANG_DELIVER_FAULT", "")
    for item in spec.split(","):
        parts = item.split(":")
        if len(parts) >= 2 and parts[1] == point:
            mark = os.environ.get("AUDIENCELANG_DELIVER_FAULT_MARK")
            if mark:
                Path(mark).write_text(point)
            if parts[0] == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            elif parts[0] == "pause" and len(parts) == 3:
                time.sleep(float(parts[2]))


# --------------------------------------------------------------------------- helpers


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _definition_hash(checked: CheckedAudience, destination: str) -> str:
    """The audience, every audience it references and its suppression audiences for the
    destination, in canonical text, plus the destination's config."""
    from audiencelang.syntax.validate import format_tree

    parts = []
    for name in sorted(checked.audiences):
        res = format_tree(checked.audiences[name])
        parts.append(getattr(res, "text", None) or repr(checked.audiences[name]))
    parts.append(checked.destinations[destination].model_dump_json())
    parts.append(",".join(checked.suppress.get(destination, ())))
    return _sha("\n".join(parts))


def _body(sql: str) -> str:
    """The statement without its ``--`` header line (which names the version and as_of)."""
    return sql.split("\n", 1)[1] if sql.startswith("--") else sql


def _not_run(audience: str, market: str, destination: str, diags: Sequence[Diagnostic],
             started: float, status: Status = "not_run", **kw: Any) -> DeliveryResult:
    return DeliveryResult(audience=audience, market=market, destination=destination, status=status,
                          diagnostics=tuple(diags), seconds=time.perf_counter() - started, **kw)


def _bad_args(d: Diagnostic, args: dict[str, object]) -> DeliveryResult:
    def s(k: str) -> str:
        v = args.get(k)
        return v if isinstance(v, str) else ""

    return DeliveryResult(audience=s("audience"), market=s("market"), destination=s("destination"),
                          status="not_run", diagnostics=(d,))




# --------------------------------------------------------------------------- deliver


@returns_diagnostics(_bad_args)
def deliver(
    project: Project,
    audience: str,
    market: str,
    destination: str,
    *,
    engine: Engine,
    as_of: dt.datetime | None = None,
    output: str | Path | None = None,
    dry_run: bool = False,
    full: bool = False,
    fmt: Literal["csv", "parquet"] = "csv",
) -> DeliveryResult:
    """Deliver ``audience`` in ``market`` to ``destination`` (spec §11; docs/deliver.md).

    ``engine``: opened with :func:`audiencelang.deliver.connect` (a writable session).
    ``as_of``: the reference time (default: the database's current time). ``output``: the
    folder receiving one sub-folder per delivery (required unless ``dry_run``).
    ``dry_run``: compute the gate and the change, write no file and nothing to the state.
    ``full``: also write the whole list (``members.csv``). Never raises for a user or
    database problem: see ``status`` and ``diagnostics`` (E6xx, E7xx, and the checker's)."""
    from audiencelang.run.execute import _check, _lookup

    started = time.perf_counter()
    diags: list[Diagnostic] = list(_lookup(project, audience, market))
    if diags:
        return _not_run(audience, market, destination, diags, started)
    if fmt not in ("csv", "parquet"):
        return _not_run(audience, market, destination, [error("E613", f"unknown output format '{fmt}'", None,
                                                              "use csv or parquet")], started)
    if output is None and not dry_run:
        return _not_run(audience, market, destination, [error(
            "E707", "deliver needs an output folder for the entered and exited members", None,
            "pass --output DIR (or --dry-run to compute without writing)")], started)
    checked, found = _check(project, audience, market)
    if checked is None:
        return _not_run(audience, market, destination, found, started)
    if destination in checked.blocked:
        return _not_run(audience, market, destination, list(checked.blocked[destination]), started)
    blocking = {id(x) for f in checked.blocked.values() for x in f}
    errors = [d for d in found if d.is_error and id(d) not in blocking]
    if errors:
        return _not_run(audience, market, destination, found, started)
    if destination not in checked.destinations:
        known = list(checked.destinations)
        hint = did_you_mean(destination, known) if known else (f"{audience} activates no destination",)
        return _not_run(audience, market, destination, [error(
            "E609", f"audience '{audience}' does not activate destination '{destination}'", None, *hint,
            audience=audience, market=market)], started)
    try:
        engine.prepare(checked.market)
        when = (as_of if as_of is not None else engine.now()).astimezone(dt.UTC)
    except RunError as exc:
        return _not_run(audience, market, destination, exc.diagnostics, started, status="failed")
    try:
        store = StateStore(engine, project.config.state.schema_)
    except RunError as exc:
        return _not_run(audience, market, destination, exc.diagnostics, started)
    job = _Delivery(store, checked, destination, when, Path(output) if output is not None else None,
                    dry_run, full, fmt)
    try:
        return job.run(started)
    except RunError as exc:
        # the audience does not compile for this destination (E5xx): nothing ran
        compiled = not all(d.code.startswith("E5") for d in exc.diagnostics)
        return _not_run(audience, market, destination, [*job.notes, *exc.diagnostics], started,
                        status="failed" if compiled else "not_run", as_of=when, gate=job.gate, folder=job.folder)


@dataclass
class _Delivery:
    store: StateStore
    checked: CheckedAudience
    destination: str
    as_of: dt.datetime
    output: Path | None
    dry_run: bool
    full: bool
    fmt: Literal["csv", "parquet"]
    gate: Gate | None = None
    folder: Path | None = None
    notes: list[Diagnostic] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.checked.name, self.checked.market.market, self.destination)

    def compile(self, mode: Literal["deliverable"], as_of: dt.datetime) -> str:
        from audiencelang.sql import compile_audience

        res = compile_audience(self.checked, self.store.engine.dialect, as_of=as_of,
                               destination=self.destination, mode=mode)
        errors = [d for d in res.diagnostics if d.is_error]
        if res.query is None or errors:
            raise RunError(errors[0] if errors else error("E506", "the audience did not compile"))
        self.notes.extend(d for d in res.diagnostics if not d.is_error)
        return res.query.sql

    def run(self, started: float) -> DeliveryResult:
        store = self.store
        audience, market, destination = self.key
        list_sql = self.compile("deliverable", self.as_of)
        sql_hash = _sha(_body(self.compile("deliverable", _HASH_AS_OF)))
        definition_hash = _definition_hash(self.checked, destination)

        locked = False
        if not self.dry_run:
            store.ensure()
            store.acquire(*self.key)
            locked = True
        try:
            _fault("locked")
            has_state = True if not self.dry_run else store.tables_exist()
            last = store.last(*self.key) if has_state else None
            if not _autocommit(store):
                store.commit()  # PostgreSQL: end the read's transaction
            # one evaluation of the audience: every member, its identifier and whether the
            # destination is handed it, in a temporary table; the gate counts from it
            self._stage(list_sql)
            rows = store.query(f"SELECT count(*), count(identifier), coalesce(sum(deliverable), 0) FROM {self.store.stage}")
            if not _autocommit(store):
                store.commit()
            members, matchable, deliverable = (int(v or 0) for v in rows[0])
            own = self.checked.audience.min_size
            minimum = max(int(own.value) if own is not None else 0,
                          int(self.checked.destinations[destination].min_size))
            self.gate = gate = Gate(destination=destination, minimum=minimum, size=deliverable, members=members,
                                    without_identifier=members - matchable, suppressed=matchable - deliverable)
            prev_id = last.delivery_id if last is not None else -1
            entered_sql = (f"SELECT s.member_id, s.identifier FROM {self.store.stage} s WHERE s.deliverable = 1 AND "
                           "s.member_key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {s}.delivered_members m WHERE m.delivery_id = ? "
                           "AND m.member_id = s.member_key)") if has_state else \
                f"SELECT s.member_id, s.identifier FROM {self.store.stage} s WHERE s.deliverable = 1 AND s.member_key IS NOT NULL"
            exited_sql = ("SELECT m.member_id, m.identifier FROM {s}.delivered_members m WHERE m.delivery_id = ? "
                          f"AND NOT EXISTS (SELECT 1 FROM {self.store.stage} s WHERE s.deliverable = 1 AND s.member_key = m.member_id)")
            held_list_sql = ("SELECT m.member_id, m.identifier FROM {s}.delivered_members m WHERE m.delivery_id = ? "
                             f"AND EXISTS (SELECT 1 FROM {self.store.stage} s WHERE s.deliverable = 1 AND s.member_key = m.member_id)")
            seq = (last.seq if last is not None else 0) + 1
            if self.dry_run:
                entered = self._count(entered_sql, [prev_id] if has_state else []) if gate.delivered else 0
                exited = self._count(exited_sql, [prev_id]) if last is not None else 0
                listed = (self._count(f"SELECT member_id FROM {self.store.stage} WHERE deliverable = 1 AND member_key IS NOT NULL", [])
                          if gate.delivered else (last.listed - exited if last is not None else 0))
                self._drop_stage()
                return DeliveryResult(
                    audience=audience, market=market, destination=destination, status=gate.status,
                    as_of=self.as_of, gate=gate, entered=entered, exited=exited, listed=listed, seq=seq,
                    previous=last.seq if last else None, dry_run=True, diagnostics=tuple(self.notes),
                    seconds=time.perf_counter() - started)
            assert self.output is not None
            keydir = key_folder(self.output, audience, market, destination)
            try:
                moved = recover(keydir, last.seq if last is not None else 0)
                name = f"{seq:06d}_{self.as_of.strftime('%Y%m%dT%H%M%SZ')}"
                out = DeliveryFolder(keydir / name, self.fmt)
            except OSError as exc:
                raise _write_error(keydir, exc) from None
            delivery_id = secrets.randbits(62)
            try:
                cols = ["member_id", "identifier"]
                if gate.delivered:
                    entered = out.write("entered", cols, store.stream(entered_sql, [prev_id] if has_state else []))
                else:  # a held gate: nothing enters (spec §11)
                    entered = out.write("entered", cols, [])
                if last is not None:
                    exited = out.write("exited", cols, store.stream(exited_sql, [prev_id]))
                else:
                    exited = out.write("exited", cols, [])
                if gate.delivered:
                    listed = self._count(f"SELECT member_id FROM {self.store.stage} WHERE deliverable = 1 AND member_key IS NOT NULL", [])
                else:
                    listed = (last.listed - exited) if last is not None else 0
                if self.full:
                    text, params = ((f"SELECT member_id, identifier FROM {self.store.stage} WHERE deliverable = 1 AND member_key IS NOT NULL", [])
                                    if gate.delivered else (held_list_sql, [prev_id]))
                    if gate.delivered or last is not None:
                        out.write("members", cols, store.stream(text, params))
                    else:
                        out.write("members", cols, [])
                row = DeliveryRow(
                    delivery_id=delivery_id, audience=audience, market=market, destination=destination, seq=seq,
                    as_of=self.as_of, status=gate.status, min_size=minimum, members=members,
                    without_identifier=gate.without_identifier, suppressed=gate.suppressed,
                    deliverable=deliverable, listed=listed, entered=entered, exited=exited,
                    definition_hash=definition_hash, sql_hash=sql_hash, folder=None,
                    created_at=dt.datetime.now(dt.UTC), audiencelang_version=__version__)
                out.manifest({**row.to_json(), "folder": name, "previous": last.seq if last else None,
                              "layout_version": 1})
                self.folder = out.publish()
            except OSError as exc:
                out.discard()
                raise _write_error(keydir, exc) from None
            except BaseException:
                out.discard()
                raise
            _fault("published")
            row = DeliveryRow(**{**row.__dict__, "folder": str(self.folder.absolute())})
            self._record(row, gate.delivered, prev_id)
            locked = False
            mark_recorded(self.folder)
            self._drop_stage()
            return DeliveryResult(
                audience=audience, market=market, destination=destination, status=gate.status,
                as_of=self.as_of, gate=gate, entered=entered, exited=exited, listed=listed, seq=seq,
                previous=last.seq if last else None, delivery_id=delivery_id, folder=self.folder,
                recorded=True, unrecorded=tuple(moved), diagnostics=tuple(self.notes),
                seconds=time.perf_counter() - started)
        except RunError:
            raise
        except Exception as exc:
            store.rollback()
            raise RunError(error("E700", f"{audience} (market {market}) to {destination}: the "
                                 f"{store.kind} database reported an error: {_one(exc)}",
                                 audience=audience, market=market)) from None
        finally:
            if locked:
                store.release(*self.key)

    def _record(self, row: DeliveryRow, open_gate: bool, prev_id: int) -> None:
        """Step 4: the delivery row, its member list and the end of the lock, in one transaction."""
        store = self.store
        columns = list(row.__dataclass_fields__)
        try:
            with store.transaction():
                store.exec(f"INSERT INTO {{s}}.deliveries ({', '.join(columns)}) VALUES "
                           f"({', '.join('?' for _ in columns)})", [getattr(row, c) for c in columns])
                if open_gate:
                    store.exec("INSERT INTO {s}.delivered_members (delivery_id, member_id, identifier) "
                               f"SELECT ?, member_key, identifier_text FROM {self.store.stage} WHERE deliverable = 1 AND member_key IS NOT NULL",
                               [row.delivery_id])
                else:
                    store.exec("INSERT INTO {s}.delivered_members (delivery_id, member_id, identifier) "
                               "SELECT ?, m.member_id, m.identifier FROM {s}.delivered_members m "
                               f"WHERE m.delivery_id = ? AND EXISTS (SELECT 1 FROM {self.store.stage} s "
                               "WHERE s.deliverable = 1 AND s.member_key = m.member_id)", [row.delivery_id, prev_id])
                store.exec("DELETE FROM {s}.locks WHERE audience = ? AND market = ? AND destination = ?",
                           list(self.key))
                _fault("before_commit")
        except Exception as exc:
            raise RunError(error(
                "E705", f"{row.audience} (market {row.market}) to {row.destination}: delivery {row.seq} was "
                f"written to {self.folder} but not recorded in the state: {_one(exc)}", None,
                "nothing is lost: the next delivery hands these changes over again and moves this folder "
                "aside as .unrecorded; do not upload it (docs/deliver.md, \"Guarantees\")",
                audience=row.audience, market=row.market)) from None
        store._unlock_session(self.key)

    def _stage(self, list_sql: str) -> None:
        store = self.store
        self._drop_stage()
        t = store.text_type
        try:
            store.exec(f"CREATE TEMPORARY TABLE {self.store.stage} AS SELECT CAST(d.member_id AS {t}) AS member_key, "
                       f"CAST(d.identifier AS {t}) AS identifier_text, d.member_id, d.identifier, d.deliverable "
                       f"FROM (\n{list_sql}) AS d")
            store.commit() if not _autocommit(store) else None
        except Exception as exc:
            store.rollback()
            raise self._db_error(exc) from None

    def _drop_stage(self) -> None:
        import contextlib

        with contextlib.suppress(Exception):
            self.store.exec(f"DROP TABLE IF EXISTS {self.store.stage}")
            if not _autocommit(self.store):
                self.store.commit()

    def _count(self, text: str, params: Sequence[object]) -> int:
        rows = self.store.query(f"SELECT count(*) FROM ({text}) AS c", params)
        if not _autocommit(self.store):
            self.store.commit()
        return int(rows[0][0])

    def _db_error(self, exc: BaseException) -> RunError:
        translated: RunError = self.store.engine.translate(exc, self.key[0], self.key[1])
        return translated


def _autocommit(store: StateStore) -> bool:
    from audiencelang.run.engines import PostgresEngine

    return not isinstance(store.engine, PostgresEngine)


def _one(exc: BaseException) -> str:
    from audiencelang.run.engines import one_line

    return one_line(exc)


def _write_error(folder: Path, exc: OSError) -> RunError:
    return RunError(error("E704", f"cannot write the delivery files under {folder}: {exc.strerror or exc}",
                          None, "nothing was recorded: fix the folder and run again"))


# --------------------------------------------------------------------------- many, history


@returns_diagnostics(lambda d, _: [DeliveryResult("", "", "", "not_run", diagnostics=(d,))])
def deliver_all(
    project: Project,
    *,
    engine: Engine,
    as_of: dt.datetime | None = None,
    output: str | Path | None = None,
    dry_run: bool = False,
    full: bool = False,
    fmt: Literal["csv", "parquet"] = "csv",
    audiences: Sequence[str] | None = None,
    markets: Sequence[str] | None = None,
    progress: Callable[[DeliveryResult], None] | None = None,
) -> list[DeliveryResult]:
    """Every audience x market x destination it activates (one ``as_of`` for all): an
    audience that does not check in a market gives one ``not_run`` result (destination
    ``""``); a destination blocked in a market (E401-E403) is not delivered there."""
    from audiencelang.run.execute import _check

    if as_of is None:
        try:
            as_of = engine.now()
        except RunError as exc:
            return [DeliveryResult("", "", "", "not_run", diagnostics=tuple(exc.diagnostics))]
    out: list[DeliveryResult] = []
    for name in sorted(project.audiences()) if audiences is None else audiences:
        for market in sorted(project.markets) if markets is None else markets:
            checked, diags = _check(project, name, market)
            if checked is None:
                out.append(DeliveryResult(name, market, "", "not_run", diagnostics=tuple(diags)))
                continue
            for dest in sorted(checked.destinations):
                if dest in checked.blocked:
                    continue
                result = deliver(project, name, market, dest, engine=engine, as_of=as_of, output=output,
                                 dry_run=dry_run, full=full, fmt=fmt)
                out.append(result)
                if progress is not None:
                    progress(result)
    return out


def history(project: Project, *, engine: Engine, audience: str | None = None, market: str | None = None,
            destination: str | None = None) -> list[DeliveryRow]:
    """Past deliveries, newest first (none when the state tables do not exist yet).
    Raises :class:`RunError` for a database problem."""
    store = StateStore(engine, project.config.state.schema_)
    if not store.tables_exist():
        return []
    rows = store.history(audience, market, destination)
    store.rollback()
    return rows


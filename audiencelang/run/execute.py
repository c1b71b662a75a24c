"""Running an audience on a database: size and gate status per destination, member files.

::

    from audiencelang.project import load_project
    from audiencelang.run import connect, run_audience

    project = load_project("examples")
    with connect("demo/demo.duckdb") as engine:
        result = run_audience(project, "cart_abandoners", "de", engine=engine)
    result.size                    # members (no gate applies to the audience itself)
    [(g.destination, g.minimum, g.status_text) for g in result.gates]

One run executes one members statement (the audience compiled for the engine's
dialect without a destination) and, per destination with an ``identifier``, one
``counts`` statement: the members, and those the destination can match
(identifier not null, spec §11), counted in the warehouse. The gate counts the
matchable members: the effective minimum is ``max(min size, destination.min_size)``
and the gate is ``delivered`` when they reach it, else ``held``. Consent needs no
extra statement: the checker only lets an audience activate a destination whose
purposes it requires, so the members are already consent-filtered for every
destination it activates.

Writing a destination's member file (``output=...`` with ``destination=X``)
executes the statement compiled **for X** as well, and writes exactly its rows:
the warehouse enforces the gate in that statement (spec §5), so a held gate
gives a file with the header and no rows. When ``as_of`` is not given it is
pinned once to the database's current time before anything runs, so both
statements (and every audience of ``run_all``) see the same reference time.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from audiencelang.arguments import returns_diagnostics
from audiencelang.diagnostics import Diagnostic, Severity, did_you_mean, error
from audiencelang.run.columns import check_columns, columns_read
from audiencelang.run.engines import Engine, RunError, SparkEngine
from audiencelang.run.missing_column import explain_missing_column
from audiencelang.run.output import LOGICAL_TYPES, duckdb_type, open_writer, output_format
from audiencelang.run.spark_output import count_with_spark, spark_writes, write_with_spark

if TYPE_CHECKING:
    from audiencelang.check.checked import CheckedAudience
    from audiencelang.project import Project
    from audiencelang.sql import CompiledQuery

__all__ = [
    "USAGE_CODES",
    "Gate",
    "RunResult",
    "count_pairs",
    "format_as_of",
    "parse_as_of",
    "run_all",
    "run_audience",
]

USAGE_CODES = frozenset({"E609", "E610", "E910"})
"""Codes that mean the command line named something that does not exist (exit 2)."""

Status = Literal["ok", "failed", "not_run"]


# --------------------------------------------------------------------------- as_of


def parse_as_of(text: str) -> dt.datetime:
    """Parse a reference time: ``2026-11-01T00:00:00Z``, ``2026-11-01T01:00:00+01:00``,
    or a plain date ``2026-11-01`` (00:00 UTC). Returns an aware UTC datetime.

    The same forms as ``compile --as-of`` (it uses :func:`audiencelang.sql.parse_as_of`),
    but raises ``ValueError`` with a message for the user instead of returning ``None``.
    A timestamp without ``Z`` or an offset is refused (it would be ambiguous)."""
    from audiencelang.sql import parse_as_of as parse

    value = parse(text)
    if value is None:
        hint = ("add Z (UTC) or an offset such as +01:00"
                if re.fullmatch(r"\s*\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*", text)
                else "e.g. 2026-11-01T00:00:00Z, 2026-11-01T01:00:00+01:00 or 2026-11-01")
        raise ValueError(f"not a timestamp with a time zone or a date: {text!r} ({hint})")
    return value


def format_as_of(value: dt.datetime) -> str:
    """``2026-11-01T00:00:00Z`` (UTC, microseconds only when there are any)."""
    v = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return v.isoformat().replace("+00:00", "Z")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Gate:
    """A destination's gate for one run."""

    destination: str
    minimum: int
    """``max(min size, destination min_size)``."""
    size: int
    """Members that would be delivered, which the gate counts (spec §11): the audience's
    members (consent is part of membership) that have the destination's identifier and
    are in none of its suppression audiences."""
    members: int | None = None
    """The audience's members (as analysed; ``None``: same as ``size``)."""
    without_identifier: int = 0
    """Members without the destination's identifier: never delivered, not counted."""
    suppressed: int = 0
    """Members with the identifier that a suppression audience holds back (spec §11)."""

    @property
    def delivered_count(self) -> int:
        """How many members are handed over: ``size`` when the gate is open, else 0."""
        return self.size if self.delivered else 0

    @property
    def delivered(self) -> bool:
        # An empty member list is never "delivered", whatever the minimum: a sync
        # that pushes zero members usually means "remove everyone".
        return self.size >= self.minimum and self.size > 0

    @property
    def status(self) -> Literal["delivered", "held"]:
        return "delivered" if self.delivered else "held"

    @property
    def status_text(self) -> str:
        """``delivered``, ``held: 734 < 1000`` or ``held: empty``."""
        if self.delivered:
            return "delivered"
        return "held: empty" if self.size == 0 else f"held: {self.size} < {self.minimum}"


@dataclass(frozen=True)
class RunResult:
    """What running one audience in one market gave.

    ``status`` is ``ok`` (the statement ran), ``failed`` (a database error) or
    ``not_run`` (the audience does not check or compile for this market, or the
    command named something unknown); ``diagnostics`` say why."""

    audience: str
    market: str
    status: Status
    as_of: dt.datetime | None = None
    size: int | None = None
    min_size: int = 0
    gates: tuple[Gate, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    seconds: float = 0.0
    sql: str | None = None
    """The members statement that ran."""
    members: tuple[Any, ...] | None = None
    """Member ids (when ``collect_members=True``), in the order the database returned them."""
    delivered: dict[str, tuple[Any, ...]] | None = None
    """Per destination with an identifier, the member ids it is handed (when
    ``collect_members=True``): the rows of the statement compiled for it (spec §11)."""
    output: Path | None = None
    output_rows: int | None = None
    output_destination: str | None = None
    columns: tuple[str, ...] = field(default=())
    shared: bool = False
    """The members came from a statement shared with other audiences of the market
    (``run_all``'s batch, docs/run.md "Batch runs"), not from ``sql``, which gives the same."""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def usage_error(self) -> bool:
        return any(d.code in USAGE_CODES for d in self.diagnostics)

    @property
    def audience_status(self) -> str:
        """The audience line of the report: ``ok``, or ``below min size: 734 < 1000``."""
        if self.size is None:
            return self.status.replace("_", " ")
        if self.size < self.min_size:
            return f"below min size: {self.size} < {self.min_size}"
        return "ok"

    def gate(self, destination: str) -> Gate | None:
        return next((g for g in self.gates if g.destination == destination), None)

    def members_for(self, destination: str) -> tuple[Any, ...]:
        """The members delivered to ``destination``: those with its identifier when the
        gate is open, none when it is held (needs ``collect_members=True``)."""
        g = self.gate(destination)
        if g is None:
            raise KeyError(f"{self.audience} does not activate {destination}")
        if self.members is None:
            raise ValueError("run with collect_members=True to keep the members")
        if self.delivered is not None and destination in self.delivered:
            return self.delivered[destination]
        return self.members if g.delivered else ()


def _min_size(checked: CheckedAudience) -> int:
    lit = checked.audience.min_size
    if lit is None:
        return 0
    return math.ceil(lit.value)


def _error_result(audience: str, market: str, status: Status, diags: Iterable[Diagnostic],
                  started: float, **kw: Any) -> RunResult:
    return RunResult(audience=audience, market=market, status=status, diagnostics=tuple(diags),
                     seconds=time.perf_counter() - started, **kw)


def _lookup(project: Project, audience: str, market: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    audiences = project.audiences()
    if audience not in audiences:
        out.append(error("E610", f"unknown audience '{audience}'", None,
                         *did_you_mean(audience, list(audiences)), audience=audience))
    if market not in project.markets:
        out.append(error("E910", f"unknown market '{market}'", None,
                         *did_you_mean(market, list(project.markets)), market=market))
    return out


def _check(project: Project, audience: str, market: str) -> tuple[CheckedAudience | None, list[Diagnostic]]:
    from audiencelang.check import check_audience

    checked, diags = check_audience(project, audience, market)
    return checked, list(diags)


def _compile(checked: CheckedAudience, dialect: str, as_of: dt.datetime,
             destination: str | None) -> tuple[CompiledQuery | None, list[Diagnostic]]:
    from audiencelang.sql import compile_audience

    result = compile_audience(checked, dialect, as_of=as_of, destination=destination, mode="members")
    diags = list(result.diagnostics)
    if result.query is None or any(d.is_error for d in diags):
        return None, diags
    return result.query, diags


def _destination_counts(engine: Engine, checked: CheckedAudience, as_of: dt.datetime, destination: str,
                        audience: str, market: str) -> tuple[tuple[int, int, int] | None, list[Diagnostic]]:
    """``(members, matchable, deliverable)`` for ``destination``, counted in the warehouse
    by the statement compiled in mode ``counts`` (spec §11): matchable have its identifier,
    deliverable are matchable and not suppressed (what its gate counts)."""
    from audiencelang.sql import compile_audience

    result = compile_audience(checked, engine.dialect, as_of=as_of, destination=destination, mode="counts")
    diags = list(result.diagnostics)
    if result.query is None or any(d.is_error for d in diags):
        return None, diags
    try:
        _, rows = engine.fetch_all(result.query.sql, audience=audience, market=market)
    except RunError as exc:
        return None, [*diags, *(explain_missing_column(d, checked.market) for d in exc.diagnostics)]
    members, matchable, deliverable = (int(v or 0) for v in rows[0])
    return (members, matchable, deliverable), diags


def _delivered_ids(engine: Engine, checked: CheckedAudience, as_of: dt.datetime, destination: str,
                   audience: str, market: str) -> tuple[tuple[Any, ...] | None, list[Diagnostic]]:
    """The member ids the statement compiled for ``destination`` returns (gated in SQL)."""
    query, diags = _compile(checked, engine.dialect, as_of, destination)
    if query is None:
        return None, diags
    try:
        _, rows = engine.fetch_all(query.sql, audience=audience, market=market)
    except RunError as exc:
        return None, [*diags, *exc.diagnostics]
    return tuple(r[0] for r in rows), diags


def _profile_id_type(engine: Engine, checked: CheckedAudience, audience: str, market: str) -> str | None:
    """The Parquet type of the market's profile id, read from one id in the database
    (``None`` when the profile table holds no id: the writer's default applies)."""
    from sqlglot import exp

    from audiencelang.sql.build import ident, table_ref

    profiles = checked.market.profiles
    column = exp.Column(this=ident(profiles.id))
    probe = exp.Select(expressions=[column]).from_(table_ref(profiles.table_parts)).where(
        exp.Not(this=exp.Is(this=column.copy(), expression=exp.Null()))).limit(1)
    _, rows = engine.fetch_all(probe.sql(dialect=engine.dialect), audience=audience, market=market)
    return duckdb_type(rows[0][0]) if rows else None


def _output_types(engine: Engine, checked: CheckedAudience, audience: str, market: str,
                  out_path: Path | None, destination: str | None) -> list[str | None] | None:
    """One Parquet schema for a member file, whatever its rows: ``member_id`` typed as the
    profile id, ``identifier`` as the destination's identifier trait."""
    if out_path is None or output_format(out_path) != "parquet":
        return None
    types = [_profile_id_type(engine, checked, audience, market)]
    if destination is not None:
        ident_trait = checked.destinations[destination].identifier
        trait = checked.market.profiles.traits.get(ident_trait) if ident_trait else None
        types.append(LOGICAL_TYPES[trait.type] if trait is not None else None)
    return types


def _not_run(d: Diagnostic, args: dict[str, object]) -> RunResult:
    audience, market = args.get("audience"), args.get("market")
    return RunResult(audience=audience if isinstance(audience, str) else "",
                     market=market if isinstance(market, str) else "", status="not_run", diagnostics=(d,))


@returns_diagnostics(_not_run)
def run_audience(
    project: Project,
    audience: str,
    market: str,
    *,
    engine: Engine | None = None,
    as_of: dt.datetime | None = None,
    destinations: Sequence[str] | None = None,
    output: str | Path | None = None,
    output_destination: str | None = None,
    collect_members: bool = False,
) -> RunResult:
    """Check, compile and run ``audience`` for ``market`` on ``engine``.

    ``as_of``: the reference time (aware; default: the database's current time,
    read once). ``destinations``: report gates for these only (default: every
    destination the audience activates). ``output``: write members to this ``.csv``
    or ``.parquet`` file, atomically; with ``output_destination`` the file holds
    ``member_id, identifier`` from the statement compiled for that destination
    (gated in SQL), else every member's ``member_id``.

    ``engine``: the database; ``None`` opens the market's own warehouse (its
    ``warehouse: {dialect, url_env}``, docs/markets.md), or the default
    ``audiencelang.duckdb`` in the project root for a market without one, and closes it.

    Never raises for a user or database problem: see ``RunResult.status`` and
    ``RunResult.diagnostics`` (E6xx codes, plus the checker's and compiler's).
    """
    return _run_audience(project, audience, market, engine=engine, as_of=as_of, destinations=destinations,
                         output=output, output_destination=output_destination, collect_members=collect_members)


def _run_audience(
    project: Project,
    audience: str,
    market: str,
    *,
    engine: Engine | None,
    as_of: dt.datetime | None = None,
    destinations: Sequence[str] | None = None,
    output: str | Path | None = None,
    output_destination: str | None = None,
    collect_members: bool = False,
    shared: _Shared | None = None,
) -> RunResult:
    """:func:`run_audience`; ``shared``: the audience's members from a batch statement
    (then its own members statement is not run)."""
    started = time.perf_counter()
    unknown = _lookup(project, audience, market)
    if unknown:
        return _error_result(audience, market, "not_run", unknown, started)
    if engine is None:
        from audiencelang.run.warehouse import market_engine

        opened = market_engine(project.markets[market], project_root=project.root)
        if opened.engine is None:
            return _error_result(audience, market, "not_run", opened.diagnostics, started)
        with opened.engine as own:
            return run_audience(project, audience, market, engine=own, as_of=as_of, destinations=destinations,
                                output=output, output_destination=output_destination,
                                collect_members=collect_members)
    if output is not None:
        from audiencelang.run.output import output_format

        try:  # before anything runs: the CLI checks this as E613 too
            output_format(output)
        except ValueError as exc:
            return _error_result(audience, market, "not_run", [error("E613", str(exc), None)], started)
    checked, diags = _check(project, audience, market)
    blocking = {id(x) for found in checked.blocked.values() for x in found} if checked else set()
    if checked is None or any(d.is_error and id(d) not in blocking for d in diags):
        return _error_result(audience, market, "not_run", diags, started)
    # A destination blocked by an activation error (E401-E403) is reported, not run;
    # the audience and its other destinations still run.
    diags = [d for d in diags if id(d) not in blocking]
    for name in [*(destinations or []), *([output_destination] if output_destination else [])]:
        if name in checked.blocked:
            return _error_result(audience, market, "not_run", list(checked.blocked[name]), started)
    blocked_notes = [
        d.model_copy(update={"severity": Severity.WARNING,
                             "message": f"destination '{name}' is not delivered: {d.message}"})
        for name, found in checked.blocked.items() for d in found
    ]
    diags.extend(blocked_notes)
    min_size = _min_size(checked)
    wanted = list(checked.destinations) if destinations is None else list(destinations)
    for name in [*wanted, *([output_destination] if output_destination else [])]:
        if name not in checked.destinations:
            known = list(checked.destinations)
            hint = did_you_mean(name, known) if known else (f"{audience} activates no destination",)
            diags.append(error("E609", f"audience '{audience}' does not activate destination '{name}'",
                               None, *hint, audience=audience, market=market))
    if any(d.code == "E609" for d in diags):
        return _error_result(audience, market, "not_run", diags, started)
    try:
        engine.prepare(checked.market)
        if as_of is None:
            as_of = engine.now()
        as_of = as_of.astimezone(dt.UTC)
    except RunError as exc:
        return _error_result(audience, market, "failed", [*diags, *exc.diagnostics], started)

    query, found = _compile(checked, engine.dialect, as_of, None)
    diags.extend(found)
    if query is None:
        return _error_result(audience, market, "not_run", diags, started, as_of=as_of)
    sql = query.sql
    dest_sql: str | None = None
    if output_destination is not None:
        dest_query, found = _compile(checked, engine.dialect, as_of, output_destination)
        diags.extend(found)
        if dest_query is None:
            return _error_result(audience, market, "not_run", diags, started, as_of=as_of)
        dest_sql = dest_query.sql
    # the physical column types must hold the market schema's types (docs/run.md, "Column types")
    try:
        mismatched = check_columns(engine, checked.market, columns_read(query.plan, checked.market))
    except RunError as exc:
        mismatched = list(exc.diagnostics)
    if mismatched:
        return _error_result(audience, market, "failed", [*diags, *mismatched], started,
                             as_of=as_of, sql=sql, min_size=min_size)

    size = 0
    members: list[Any] | None = [] if collect_members else None
    out_path = Path(output) if output is not None else None
    written: int | None = None
    # Spark writes a Parquet member file itself: no member passes through this process
    # (run/spark_output.py; with collect_members the members are wanted here anyway)
    spark_out = not collect_members and shared is None and spark_writes(engine, out_path)
    try:
        types = None if spark_out else _output_types(engine, checked, audience, market, out_path,
                                                     output_destination)
        if spark_out:
            assert out_path is not None and isinstance(engine, SparkEngine)
            columns: tuple[str, ...] = ("member_id",)
            if dest_sql is None:
                written = size = write_with_spark(engine, sql, out_path, ["member_id"],
                                                  audience=audience, market=market)
            else:
                size = count_with_spark(engine, sql, audience=audience, market=market)
                written = write_with_spark(engine, dest_sql, out_path, ["member_id", "identifier"],
                                           audience=audience, market=market)
        elif shared is not None and out_path is None:
            columns = ("member_id",)
            size = len(shared.members)
            if members is not None:
                members.extend(shared.members)
        else:
            with engine.execute(sql, audience=audience, market=market) as rows:
                columns = tuple(rows.columns)
                writer = (open_writer(out_path, ["member_id"], types)
                          if out_path is not None and dest_sql is None else None)
                try:
                    for batch in rows.batches():
                        size += len(batch)
                        if members is not None:
                            members.extend(r[0] for r in batch)
                        if writer is not None:
                            writer.write([(r[0],) for r in batch])
                    if writer is not None:
                        writer.commit()
                        written = writer.rows
                except BaseException:
                    if writer is not None:
                        writer.abort()
                    raise
        if dest_sql is not None and out_path is not None and not spark_out:
            with engine.execute(dest_sql, audience=audience, market=market) as rows, \
                    open_writer(out_path, ["member_id", "identifier"], types) as dest_writer:
                for batch in rows.batches():
                    dest_writer.write([tuple(r[:2]) for r in batch])
            written = dest_writer.rows
    except RunError as exc:
        said = [explain_missing_column(d, checked.market) for d in exc.diagnostics]  # not the alias "src"
        return _error_result(audience, market, "failed", [*diags, *said], started,
                             as_of=as_of, sql=sql, min_size=min_size)
    except OSError as exc:
        diags.append(error("E608", f"cannot write members to {out_path}: {exc.strerror or exc}",
                           None, audience=audience, market=market))
        return _error_result(audience, market, "failed", diags, started, as_of=as_of, sql=sql,
                             min_size=min_size, size=size)

    gates = []
    delivered: dict[str, tuple[Any, ...]] = {}
    for name in wanted:
        dest = checked.destinations[name]
        minimum = max(min_size, int(dest.min_size))
        if dest.identifier is None:  # nothing to match: every member is delivered
            gates.append(Gate(destination=name, minimum=minimum, size=size, members=size))
            continue
        counted, found = _destination_counts(engine, checked, as_of, name, audience, market)
        diags.extend(found)
        if counted is None:
            status: Status = "failed" if any(d.code.startswith("E6") for d in found) else "not_run"
            return _error_result(audience, market, status, diags, started, as_of=as_of, sql=sql,
                                 min_size=min_size, size=size)
        members_n, matchable, deliverable = counted
        gates.append(Gate(destination=name, minimum=minimum, size=deliverable, members=members_n,
                          without_identifier=members_n - matchable, suppressed=matchable - deliverable))
        if collect_members:
            ids, found = _delivered_ids(engine, checked, as_of, name, audience, market)
            diags.extend(found)
            if ids is None:
                return _error_result(audience, market, "failed", diags, started, as_of=as_of, sql=sql,
                                     min_size=min_size, size=size)
            delivered[name] = ids
    return RunResult(
        audience=audience, market=market, status="ok", as_of=as_of, size=size, min_size=min_size,
        gates=tuple(gates), diagnostics=tuple(diags),
        seconds=time.perf_counter() - started + (shared.seconds if shared is not None else 0.0),
        sql=sql, members=tuple(members) if members is not None else None,
        delivered=delivered if collect_members else None,
        output=out_path if written is not None else None, output_rows=written,
        output_destination=output_destination, columns=columns, shared=shared is not None,
    )


@dataclass(frozen=True)
class _Shared:
    """An audience's members from a batch statement; ``seconds``: its share of that
    statement's time (the statement's time over its audiences)."""

    members: tuple[Any, ...]
    seconds: float


@returns_diagnostics(lambda d, args: [_not_run(d, args)])
def run_all(
    project: Project,
    *,
    engine: Engine | None = None,
    markets: Sequence[str] | None = None,
    audiences: Sequence[str] | None = None,
    as_of: dt.datetime | None = None,
    progress: Callable[[RunResult], None] | None = None,
    batch: bool = True,
) -> list[RunResult]:
    """Run every audience (or ``audiences``) in every market (or ``markets``), with one
    reference time for all of them. ``progress`` is called after each run.

    ``engine=None``: each market runs on its own warehouse (docs/markets.md, "warehouse";
    a market without one on ``audiencelang.duckdb`` in the project root), each opened once;
    without ``as_of`` the reference time is read from the first warehouse that answers.
    ``batch`` (default): per market, the members of every audience that checks come from a
    few statements shared by all of them (:func:`audiencelang.sql.compile_batch`: one pass
    per event table and one consent pass for all); an audience the batch cannot hold, or
    whose batch statement fails on the database, runs its own statement, as with
    ``batch=False``. Destinations' counts run per audience either way (docs/run.md).

    Returns one :class:`RunResult` per audience x market, sorted by audience then market."""
    names = sorted(project.audiences()) if audiences is None else list(audiences)
    market_names = sorted(project.markets) if markets is None else list(markets)
    if engine is None:
        return _run_all_warehouses(project, names, market_names, as_of, progress, batch)
    if as_of is None:
        try:
            as_of = engine.now()
        except RunError as exc:  # the database cannot be asked: nothing runs
            return [RunResult(audience=n, market=m, status="not_run", diagnostics=(exc.diagnostic,))
                    for n in names for m in market_names]
    shared: dict[tuple[str, str], _Shared] = {}
    if batch:
        for market in market_names:
            if market in project.markets:
                shared.update(_batch_members(project, names, market, engine, as_of))
    results: list[RunResult] = []
    for name in names:
        for market in market_names:
            if (name, market) in shared:
                result = _run_audience(project, name, market, engine=engine, as_of=as_of,
                                       shared=shared[(name, market)])
            else:
                result = run_audience(project, name, market, engine=engine, as_of=as_of)
            results.append(result)
            if progress is not None:
                progress(result)
    return results


def _batch_members(project: Project, names: Sequence[str], market: str, engine: Engine,
                   as_of: dt.datetime) -> dict[tuple[str, str], _Shared]:
    """The members of the audiences of ``market`` that check, from shared statements
    (audiencelang.sql.batch); an audience left out of the batch, or in a statement the
    database refused, is not in the result (it runs on its own and reports its own errors)."""
    from audiencelang.sql import compile_batch

    checked: list[CheckedAudience] = []
    known = project.audiences()
    for name in names:
        if name not in known:
            continue
        c, diags = _check(project, name, market)
        blocking = {id(x) for found in c.blocked.values() for x in found} if c else set()
        if c is not None and not any(d.is_error and id(d) not in blocking for d in diags):
            checked.append(c)
    if len(checked) < 2:
        return {}
    out: dict[tuple[str, str], _Shared] = {}
    try:
        engine.prepare(checked[0].market)
    except RunError:
        return {}
    result = compile_batch(checked, engine.dialect, as_of=as_of.astimezone(dt.UTC))
    for st in result.statements:
        started = time.perf_counter()
        try:
            with engine.execute(st.sql, market=market) as rows:
                got = st.members(r for b in rows.batches() for r in b)
        except RunError:
            continue  # its audiences run their own statements and report what fails
        share = (time.perf_counter() - started) / len(st.audiences)
        for name in st.audiences:
            out[(name, market)] = _Shared(tuple(got[name]), share)
    return out


def count_pairs(project: Project, markets: Sequence[str] | None = None) -> int:
    """How many audience x market runs :func:`run_all` would do."""
    return len(project.audiences()) * len(project.markets if markets is None else markets)



def _run_all_warehouses(project: Project, names: list[str], market_names: list[str], as_of: dt.datetime | None,
                        progress: Callable[[RunResult], None] | None, batch: bool) -> list[RunResult]:
    """:func:`run_all` with every market on its own warehouse (one connection per warehouse)."""
    from audiencelang.run.warehouse import EngineResult, market_engine

    opened: dict[str | None, EngineResult] = {}  # url_env (None: the default file) -> engine
    per_market: dict[str, EngineResult] = {}
    unknown = [m for m in market_names if m not in project.markets]
    try:
        for m in market_names:
            if m in unknown:
                continue
            market = project.markets[m]
            key = market.warehouse.url_env if market.warehouse is not None else None
            if key not in opened:
                opened[key] = market_engine(market, project_root=project.root)
            per_market[m] = opened[key]
        if as_of is None:
            for m in market_names:
                engine = per_market[m].engine if m in per_market else None
                if engine is None:
                    continue
                try:
                    as_of = engine.now()
                    break
                except RunError as exc:
                    per_market[m] = EngineResult(None, tuple(exc.diagnostics))
        shared: dict[tuple[str, str], _Shared] = {}
        if batch and as_of is not None:
            for m, opened_m in per_market.items():
                if opened_m.engine is not None:
                    shared.update(_batch_members(project, names, m, opened_m.engine, as_of))
        results: list[RunResult] = []
        for name in names:
            for m in market_names:
                got = per_market.get(m)
                if got is not None and got.engine is None:
                    result = RunResult(audience=name, market=m, status="not_run", diagnostics=got.diagnostics)
                elif got is not None and got.engine is not None and (name, m) in shared:
                    result = _run_audience(project, name, m, engine=got.engine, as_of=as_of,
                                           shared=shared[(name, m)])
                else:
                    result = run_audience(project, name, m, engine=got.engine if got else None, as_of=as_of)
                results.append(result)
                if progress is not None:
                    progress(result)
        return results
    finally:
        for r in opened.values():
            if r.engine is not None:
                r.engine.close()

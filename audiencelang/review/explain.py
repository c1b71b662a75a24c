"""``audiencelang explain``: why one profile is in or out of an audience, read from the warehouse.

:func:`read_profile` reads only that profile's rows — the profile row, its events
(one statement per event table), its consent rows — with the profile id as a bound
parameter, never pasted into SQL text. :func:`explain_profile` hands them to the
reference evaluator (:func:`audiencelang.eval.explain`), which decides every condition
exactly as the compiled SQL does (docs/semantics.md); audiences referenced with
``in audience x`` are evaluated for the same profile from the same rows. The result
adds, per destination, its consent, its identifier and its gate's minimum.

The explanation tree is the evaluator's, printed generically: a condition form the
evaluator learns later needs nothing here.

Statements: ``SELECT <the columns the market names> FROM <table> WHERE <key> = ?``.
The profile row is found with ``CAST(id AS TEXT) = ?`` (the market does not type the
id column, and the command line gives text); the other tables are read with the id
*value* the profile row holds, so their key columns compare without a cast (indexes
apply).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from audiencelang.diagnostics import AudienceLangError, Diagnostic, error
from audiencelang.eval import Explanation, ExplanationNode

if TYPE_CHECKING:
    from audiencelang.check.checked import CheckedAudience
    from audiencelang.run.engines import Engine
    from audiencelang.schema.market import Market

__all__ = [
    "EXPLAIN_JSON_VERSION",
    "DestinationFacts",
    "ExplainError",
    "ProfileExplanation",
    "as_json",
    "explain_json_schema",
    "explain_profile",
    "profile_statements",
    "read_profile",
    "render_text",
]

EXPLAIN_JSON_VERSION = 1


class ExplainError(AudienceLangError):
    """A problem explaining one profile, carrying its diagnostic (E640, E641)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__([diagnostic])

    @property
    def diagnostic(self) -> Diagnostic:
        return self.diagnostics[0]


@dataclass(frozen=True)
class DestinationFacts:
    """What decides whether this profile is delivered to one destination."""

    name: str
    minimum: int
    """The gate: max(the audience's min size, the destination's min_size)."""
    consent: tuple[str, ...]
    identifier: str | None
    has_identifier: bool | None
    """Whether the profile's identifier trait is not null (``None``: no identifier configured)."""
    blocked: tuple[str, ...]
    """Activation errors that forbid this destination in this market (E401-E403)."""
    deliverable: bool
    """A member with an identifier, to a destination not blocked: delivered once the gate opens."""


@dataclass(frozen=True)
class ProfileExplanation:
    market: str
    profile: str
    """The id as given on the command line."""
    as_of: dt.datetime
    explanation: Explanation
    destinations: tuple[DestinationFacts, ...] = ()
    statements: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    """Rows read per table."""


# --------------------------------------------------------------------------- reading


def _columns(market: Market) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, dict[str, str]]]:
    """Per table: the columns to read, the user-key columns (not the profile table), and
    the logical type of each typed column."""
    cols: dict[str, list[str]] = {}
    keys: dict[str, list[str]] = {}
    types: dict[str, dict[str, str]] = {}

    def add(table: str, column: str, kind: str | None = None) -> None:
        cols.setdefault(table, [])
        if column not in cols[table]:
            cols[table].append(column)
        if kind is not None:
            types.setdefault(table, {})[column] = kind

    pr = market.profiles
    add(pr.table, pr.id)
    for f in pr.traits.values():
        add(pr.table, f.column, f.type)
    for ev in market.events.values():
        add(ev.table, ev.user)
        add(ev.table, ev.time, "timestamp")
        if ev.where is not None:
            add(ev.table, ev.where.column)
        for f in ev.properties.values():
            add(ev.table, f.column, f.type)
        if ev.user not in keys.setdefault(ev.table, []):
            keys[ev.table].append(ev.user)
    c = market.consent
    if c is not None:
        add(c.table, c.user)
        add(c.table, c.purpose)
        add(c.table, c.status)
        add(c.table, c.time, "timestamp")
        if c.confirmed is not None:
            add(c.table, c.confirmed, "timestamp")
        if c.user not in keys.setdefault(c.table, []):
            keys[c.table].append(c.user)
    return cols, keys, types


def _select(table: str, columns: Sequence[str], where: exp.Expression) -> exp.Select:
    from audiencelang.schema.market import split_table
    from audiencelang.sql.build import col, table_ref

    return exp.Select(expressions=[col(c) for c in columns]).from_(table_ref(split_table(table))).where(where)


def profile_statements(market: Market) -> list[tuple[str, exp.Select]]:
    """The statements :func:`read_profile` runs, as (table, sqlglot tree), profile first.
    Each has one placeholder per key column; the values are bound, never in the text."""
    from audiencelang.sql.build import col

    cols, keys, _ = _columns(market)
    pr = market.profiles
    out = [(pr.table, _select(pr.table, cols[pr.table], exp.EQ(
        this=exp.Cast(this=col(pr.id), to=exp.DataType.build("text")), expression=exp.Placeholder())))]
    for table in sorted(t for t in cols if t != pr.table):
        conds: list[exp.Expression] = [exp.EQ(this=col(k), expression=exp.Placeholder()) for k in keys[table]]
        where = conds[0]
        for cnd in conds[1:]:
            where = exp.Or(this=where, expression=cnd)
        out.append((table, _select(table, cols[table], where)))
    return out


def _sqlite_value(value: object, kind: str | None) -> object:
    """SQLite has no date, timestamp or boolean storage: read them back from text and 0/1."""
    if isinstance(value, str) and kind in ("date", "timestamp"):
        try:
            t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return t.date() if kind == "date" and len(value) == 10 else t
    if isinstance(value, int) and not isinstance(value, bool) and kind == "boolean" and value in (0, 1):
        return bool(value)
    if isinstance(value, float) and kind == "decimal":
        return Decimal(repr(value))
    return value


def _id_text(value: object) -> str | None:
    """The id as the profile argument gives it, or ``None`` for a type the warehouse compared."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, str)):
        return str(value)
    return None


def _same_id(value: object, pid: object) -> bool:
    if isinstance(value, str) and isinstance(pid, str):
        return value == pid
    return True  # not two strings: the warehouse's own comparison stands


def read_profile(engine: Engine, market: Market, profile: str, *,
                 audience: str | None = None) -> tuple[dict[str, list[dict[str, object]]], int]:
    """That profile's rows of every market table, as the evaluator's dataset, and the
    number of statements run. Raises :class:`ExplainError` (E640) when no profile row
    has the id, :class:`audiencelang.run.engines.RunError` for database errors."""
    cols, keys, types = _columns(market)
    engine.prepare(market)
    statements = profile_statements(market)
    data: dict[str, list[dict[str, object]]] = {}
    pid: object = None
    for n, (table, stmt) in enumerate(statements):
        sql = stmt.sql(dialect=engine.dialect)
        params: tuple[object, ...] = (profile,) if n == 0 else (pid,) * len(keys[table])
        _, rows = engine.fetch_all(sql, audience=audience, market=market.market, params=params)
        typed = types.get(table, {})
        # SQLite and MySQL hand booleans back as 0/1 (MySQL's BOOLEAN is TINYINT(1))
        fix = _sqlite_value if engine.dialect in ("sqlite", "mysql") else (lambda v, k: v)
        data[table] = [{c: fix(v, typed.get(c)) for c, v in zip(cols[table], r, strict=True)} for r in rows]
        # ids are compared byte for byte (docs/semantics.md): a case-insensitive or space-padding
        # collation (MySQL/MariaDB, SQL Server) also returns the rows of 'A1' and 'a1 ' for 'a1'
        if n == 0:
            data[table] = [r for r in data[table] if _id_text(r[market.profiles.id]) in (profile, None)]
        else:
            data[table] = [r for r in data[table] if any(_same_id(r[k], pid) for k in keys[table])]
        if n == 0:
            if not rows:
                raise ExplainError(error(
                    "E640", f"no profile with id '{profile}' in table {table} (market {market.market})", None,
                    f"the id is compared as text with column {market.profiles.id}: give it as the "
                    "warehouse prints it (no leading zeros, no quotes)",
                    audience=audience, market=market.market))
            pid = data[table][0][market.profiles.id]
    return data, len(statements)


# --------------------------------------------------------------------------- explaining


def explain_profile(checked: CheckedAudience, engine: Engine, profile: str, as_of: dt.datetime) -> ProfileExplanation:
    """Read the profile's rows and explain its membership of ``checked`` at ``as_of``."""
    from audiencelang.eval import DatasetError, EvaluationError, explain

    market = checked.market
    data, statements = read_profile(engine, market, profile, audience=checked.name)
    pid = data[market.profiles.table][0][market.profiles.id]
    try:
        ex = explain(checked, data, pid, as_of, ascii_case_folding=engine.dialect == "sqlite")
    except (DatasetError, EvaluationError) as exc:
        raise ExplainError(error(
            "E641", f"profile '{profile}' cannot be evaluated: {exc}", None,
            "check the market schema's column types against the warehouse's columns",
            audience=checked.name, market=market.market)) from None
    return ProfileExplanation(
        market=market.market, profile=profile, as_of=as_of, explanation=ex,
        destinations=tuple(_destinations(checked, data, ex)), statements=statements,
        rows={t: len(r) for t, r in data.items()},
    )


def _destinations(checked: CheckedAudience, data: dict[str, list[dict[str, object]]],
                  ex: Explanation) -> Iterable[DestinationFacts]:
    aud = checked.audience
    own = int(aud.min_size.value) if aud.min_size is not None else 0
    profile_row = data[checked.market.profiles.table][0]
    for name in dict.fromkeys(a.destination.value for a in aud.activate):
        dest = checked.destinations.get(name)
        if dest is None:
            continue
        has: bool | None = None
        if dest.identifier is not None:
            trait = checked.market.profiles.traits.get(dest.identifier)
            has = trait is not None and profile_row.get(trait.column) is not None
        blocked = tuple(d.message for d in checked.blocked.get(name, ()))
        yield DestinationFacts(
            name=name, minimum=max(own, dest.min_size), consent=tuple(dest.consent),
            identifier=dest.identifier, has_identifier=has, blocked=blocked,
            deliverable=ex.member and has is not False and not blocked,
        )


# --------------------------------------------------------------------------- output


def _node_json(n: ExplanationNode) -> dict[str, Any]:
    return {"text": n.text, "holds": n.holds, "detail": n.detail, "children": [_node_json(c) for c in n.children]}


def as_json(p: ProfileExplanation) -> dict[str, Any]:
    """The ``--format json`` document (``"version": 1``; docs/schemas/explain.schema.json)."""
    from audiencelang.run.execute import format_as_of

    ex = p.explanation
    return {
        "version": EXPLAIN_JSON_VERSION,
        "audience": ex.audience,
        "market": p.market,
        "profile": p.profile,
        "as_of": format_as_of(p.as_of),
        "member": ex.member,
        "include": _node_json(ex.include),
        "exclude": _node_json(ex.exclude) if ex.exclude is not None else None,
        "consents": [_node_json(c) for c in ex.consents],
        "destinations": [
            {"destination": d.name, "minimum": d.minimum, "consent": list(d.consent),
             "identifier": d.identifier, "has_identifier": d.has_identifier,
             "blocked": list(d.blocked), "deliverable": d.deliverable}
            for d in p.destinations
        ],
        "statements": p.statements,
        "rows": dict(sorted(p.rows.items())),
    }


def explain_json_schema() -> dict[str, Any]:
    """The JSON Schema of :func:`as_json` (committed as docs/schemas/explain.schema.json)."""
    node: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["text", "holds", "detail", "children"],
        "properties": {
            "text": {"type": "string", "description": "The condition as audience syntax."},
            "holds": {"type": "boolean"},
            "detail": {"type": ["string", "null"],
                       "description": "What was looked at: a value, a number of occurrences, a consent state."},
            "children": {"type": "array", "items": {"$ref": "#/$defs/node"},
                         "description": "Operands of and/or/not; for `in audience X`, X's explanation."},
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://audiencelang.dev/schemas/explain.schema.json",
        "title": "audiencelang explain --format json",
        "type": "object",
        "additionalProperties": False,
        "required": ["version", "audience", "market", "profile", "as_of", "member", "include", "exclude",
                     "consents", "destinations", "statements", "rows"],
        "properties": {
            "version": {"const": EXPLAIN_JSON_VERSION},
            "audience": {"type": "string"},
            "market": {"type": "string"},
            "profile": {"type": "string", "description": "The id as given on the command line."},
            "as_of": {"type": "string", "description": "UTC, ISO 8601 with Z."},
            "member": {"type": "boolean"},
            "include": {"$ref": "#/$defs/node"},
            "exclude": {"oneOf": [{"$ref": "#/$defs/node"}, {"type": "null"}]},
            "consents": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            "destinations": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["destination", "minimum", "consent", "identifier", "has_identifier", "blocked",
                             "deliverable"],
                "properties": {
                    "destination": {"type": "string"},
                    "minimum": {"type": "integer", "minimum": 0,
                                "description": "The gate: max(audience min size, destination min_size)."},
                    "consent": {"type": "array", "items": {"type": "string"}},
                    "identifier": {"type": ["string", "null"]},
                    "has_identifier": {"type": ["boolean", "null"]},
                    "blocked": {"type": "array", "items": {"type": "string"}},
                    "deliverable": {"type": "boolean",
                                    "description": "Member, identifier present, destination not blocked."},
                },
            }},
            "statements": {"type": "integer", "minimum": 1},
            "rows": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                     "description": "Rows read per market table."},
        },
        "$defs": {"node": node},
    }


def render_text(p: ProfileExplanation) -> str:
    from audiencelang.run.execute import format_as_of

    ex = p.explanation
    verdict = "IS a member" if ex.member else "is NOT a member"
    out = [f"profile {p.profile} {verdict} of {ex.audience} (market {p.market}, as of {format_as_of(p.as_of)})"]
    out.append("include:")
    out.extend(ex.include.lines(1))
    if ex.exclude is not None:
        out.append("exclude (must not hold):")
        out.extend(ex.exclude.lines(1))
    if ex.consents:
        out.append("require consent:")
        for c in ex.consents:
            out.extend(c.lines(1))
    if p.destinations:
        out.append("destinations:")
        for d in p.destinations:
            parts = [f"gate: at least {d.minimum:,} members"]
            if d.consent:
                parts.append("consent " + ", ".join(d.consent))
            if d.identifier is not None:
                parts.append(f"identifier {d.identifier} " + ("present" if d.has_identifier else "missing (null)"))
            mark = "✓" if d.deliverable else "✗"
            out.append(f"  {mark} {d.name}: " + "; ".join(parts))
            out.extend(f"      blocked in this market: {b}" for b in d.blocked)
        out.append("  (✓: delivered once the audience reaches the gate; `audiencelang run` counts the audience)")
    read = ", ".join(f"{t} {n}" for t, n in sorted(p.rows.items()))
    out.append(f"read {p.statements} statements, rows: {read}")
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys
    from pathlib import Path

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")
    (folder / "explain.schema.json").write_text(json.dumps(explain_json_schema(), indent=2) + "\n", encoding="utf-8")

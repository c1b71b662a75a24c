"""The demo data: DuckDB SQL over ``range()`` filling every market's tables (see the package docstring)."""

from __future__ import annotations

import datetime as dt
import hashlib
import operator
import os
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # duckdb and ruamel are imported where used: `audiencelang --version` stays fast
    import duckdb
from audiencelang.demo.specs import DUCKDB_TYPES, DemoError, load_market_specs

DEFAULT_AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
"""The fixed reference time the demo data is generated around."""

DEFAULT_DB = Path("demo") / "demo.duckdb"

EVENT_DAYS = 400
"""Events fall in the ``EVENT_DAYS`` days before ``as_of`` (about 1% fall after it)."""
SIGNUP_DAYS = 3 * 365
CONSENT_DAYS = 3 * 365

# Share of a market's events per logical event name; other names get _OTHER_WEIGHT.
_EVENT_WEIGHTS = {"page_view": 0.50, "session": 0.20, "add_to_cart": 0.15, "purchase": 0.08}
_OTHER_WEIGHT = 0.10
_NOISE_SHARE = 0.02
"""Rows with an unmapped event type in tables shared through ``where`` filters."""


@dataclass(frozen=True)
class MarketStats:
    market: str
    profiles: int
    events: dict[str, int]
    """Rows per logical event name (noise rows not included)."""
    tables: dict[str, int]
    """Rows per physical table, schema-qualified as written in the YAML."""
    consent_rows: int


@dataclass(frozen=True)
class DemoStats:
    db_path: Path
    as_of: dt.datetime
    seed: int
    markets: tuple[MarketStats, ...]
    seconds: float = field(compare=False)

    @property
    def profiles(self) -> int:
        return sum(m.profiles for m in self.markets)

    @property
    def events(self) -> int:
        return sum(sum(m.events.values()) for m in self.markets)


# --------------------------------------------------------------------------- SQL building


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_parts(name: str, where: str) -> tuple[str, ...]:
    parts = tuple(str(name).split("."))
    if not 1 <= len(parts) <= 2 or not all(parts):
        raise DemoError(f"{where}: table {name!r} must be `table` or `schema.table`")
    return parts


def _qualified(name: str) -> str:
    return ".".join(_ident(p) for p in _table_parts(name, name))


class _Query:
    """Collects named bind parameters while SQL text is assembled."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f"${name}"

    def rnd(self, key: str, *salt: object) -> str:
        """A uniform [0, 1) number keyed by the row expression ``key`` and a salt."""
        digest = hashlib.sha256(repr((self.seed, *salt)).encode()).digest()
        return f"rnd({key}, {int.from_bytes(digest[:7], 'big')})"

    def pick(self, key: str, salt: tuple[object, ...], choices: Sequence[tuple[Any, float]]) -> str:
        """One of ``choices`` (value, weight); a value of None gives NULL."""
        total = sum(w for _, w in choices)
        u = self.rnd(key, *salt)
        parts, acc = [], 0.0
        for value, weight in choices[:-1]:
            acc += weight / total
            parts.append(f"WHEN {u} < {acc!r} THEN {self._value(value)}")
        return f"(CASE {' '.join(parts)} ELSE {self._value(choices[-1][0])} END)"

    def _value(self, value: Any) -> str:
        return "NULL" if value is None else self.bind(value)

    def nullable(self, key: str, salt: tuple[object, ...], share: float, expr: str) -> str:
        if share <= 0:
            return expr
        return f"(CASE WHEN {self.rnd(key, *salt, 'null')} < {share!r} THEN NULL ELSE {expr} END)"


def _micros(days: float) -> int:
    return round(days * 86_400_000_000)


def _ago(q: _Query, u: str, days: float) -> str:
    """``as_of`` minus ``u * days``."""
    return f"(as_of() - to_microseconds(CAST({u} * {_micros(days)} AS BIGINT)))"


_COUNTRIES: dict[str, list[tuple[str, float]]] = {
    "de": [("DE", 80), ("AT", 10), ("CH", 7), ("NL", 2), ("PL", 1)],
    "us": [("US", 90), ("CA", 6), ("MX", 4)],
    "fr": [("FR", 82), ("BE", 7), ("CH", 5), ("LU", 3), ("DE", 3)],
}
_CITIES: dict[str, list[tuple[str, float]]] = {
    "de": [
        ("Berlin", 20), ("Hamburg", 12), ("München", 12), ("MÜNCHEN", 2), ("münchen", 2),
        ("Köln", 8), ("Frankfurt am Main", 8), ("Stuttgart", 6), ("Düsseldorf", 5),
        ("Wien", 8), ("Zürich", 6), ("Graz", 3), ("Basel", 3), ("Muenchen", 1),
    ],
    "us": [
        ("New York", 20), ("Los Angeles", 14), ("Chicago", 10), ("Houston", 8),
        ("Phoenix", 6), ("Philadelphia", 6), ("San Antonio", 5), ("San Diego", 5),
        ("Dallas", 5), ("Toronto", 4), ("Munich", 1), ("O'Fallon", 1), ("Mexico City", 3),
    ],
    "fr": [
        ("Paris", 25), ("Marseille", 10), ("Lyon", 10), ("Toulouse", 8), ("Nice", 6),
        ("Nantes", 5), ("Strasbourg", 5), ("Bruxelles", 6), ("Genève", 4),
        ("Luxembourg", 3), ("Saint-Étienne", 3), ("L'Haÿ-les-Roses", 1),
    ],
}
_DOMAINS: dict[str, list[tuple[str, float]]] = {
    "de": [("gmail.com", 30), ("web.de", 20), ("gmx.de", 20), ("t-online.de", 10),
           ("outlook.com", 10), ("Example-Corp.com", 1), ("posteo.de", 9)],
    "us": [("gmail.com", 45), ("yahoo.com", 15), ("outlook.com", 15), ("icloud.com", 15),
           ("example-corp.com", 1), ("aol.com", 9)],
    "fr": [("gmail.com", 35), ("orange.fr", 20), ("free.fr", 15), ("laposte.net", 10),
           ("outlook.fr", 10), ("EXAMPLE-CORP.COM", 1), ("sfr.fr", 9)],
}


def _trait_expr(q: _Query, market: str, name: str, kind: str, i: str) -> str:
    """The value of trait ``name`` for profile index ``i`` (a SQL expression)."""
    salt = (market, "trait", name)
    u = q.rnd(i, *salt)
    if name == "country" and kind == "string":
        choices = _COUNTRIES.get(market, [(market.upper(), 85), ("US", 10), ("DE", 5)])
        return q.nullable(i, salt, 0.02, q.pick(i, salt, choices))
    if name == "city" and kind == "string":
        choices = _CITIES.get(market, _CITIES["de"])
        return q.nullable(i, salt, 0.05, q.pick(i, salt, choices))
    if name == "loyalty_tier" and kind == "string":
        tiers = [(None, 45), ("bronze", 25), ("silver", 15), ("gold", 10), ("platinum", 5)]
        return q.pick(i, salt, tiers)
    if name == "email" and kind == "string":
        return _email(q, market, i)
    if name.endswith("sha256") and kind == "string":
        email = _email(q, market, i)
        return f"sha256(lower(trim({email})))"
    if name == "is_employee" and kind == "boolean":
        return q.pick(i, salt, [(True, 1), (None, 3), (False, 96)])
    if name == "age" and kind == "integer":
        return q.nullable(i, salt, 0.05, f"CAST(16 + floor(pow({u}, 1.4) * 70) AS BIGINT)")
    if name == "lifetime_value" and kind == "decimal":
        return q.nullable(i, salt, 0.03, f"CAST(round(pow({u}, 3) * 5000, 2) AS DECIMAL(18, 2))")
    if name == "signup_date" and kind == "date":
        return f"CAST({_ago(q, u, SIGNUP_DAYS)} AS DATE)"
    return _generic(q, i, salt, kind, optional=True)


def _email(q: _Query, market: str, i: str) -> str:
    """An e-mail address: some upper case, some `+test`, 5% missing (same for both traits)."""
    salt = (market, "email")
    domain = q.pick(i, (*salt, "domain"), _DOMAINS.get(market, _DOMAINS["us"]))
    local = (
        f"(CASE WHEN {q.rnd(i, *salt, 'test')} < 0.01 "
        f"THEN 'user' || {i} || '+test' ELSE 'user' || {i} END)"
    )
    address = f"({local} || '@' || {domain})"
    cased = f"(CASE WHEN {q.rnd(i, *salt, 'case')} < 0.05 THEN upper({address}) ELSE {address} END)"
    return q.nullable(i, salt, 0.05, cased)


def _generic(q: _Query, key: str, salt: tuple[object, ...], kind: str, *, optional: bool) -> str:
    u = q.rnd(key, *salt)
    expr = {
        "string": f"('value_' || CAST(floor({u} * 20) AS BIGINT))",
        "integer": f"CAST(floor({u} * 100) AS BIGINT)",
        "decimal": f"CAST(round({u} * 1000, 2) AS DECIMAL(18, 2))",
        "boolean": f"({u} < 0.5)",
        "date": f"CAST({_ago(q, u, SIGNUP_DAYS)} AS DATE)",
        "timestamp": _ago(q, f"pow({u}, 2)", EVENT_DAYS),
    }[kind]
    return q.nullable(key, salt, 0.05 if optional else 0.0, expr)


def _property_expr(q: _Query, market: str, event: str, name: str, kind: str, j: str) -> str:
    salt = (market, "event", event, name)
    u = q.rnd(j, *salt)
    if name in {"revenue", "price"} and kind == "decimal":
        return f"CAST(round(exp(1 + {u} * 6.2), 2) AS DECIMAL(18, 2))"
    if name == "channel" and kind == "string":
        return q.pick(j, salt, [("web", 55), ("app", 35), ("store", 10)])
    if name == "coupon" and kind == "string":
        return q.pick(j, salt, [
            ("BLACKFRIDAY25", 8), ("blackfriday-2025", 4), ("SUMMER10", 8), ("50%_off", 5),
            ("50X_off", 2), ("WELCOME", 3), (None, 70),
        ])
    if name == "category" and kind == "string":
        return q.pick(j, salt, [("shoes", 30), ("bags", 20), ("electronics", 20),
                                ("home", 20), ("beauty", 10)])
    if name == "path" and kind == "string":
        return q.pick(j, salt, [
            ("/", 25), ("/sale", 10), ("/sale/shoes", 8), ("/sale/bags", 5), ("/SALE/winter", 2),
            ("/products/1234", 20), ("/products/5678", 15), ("/checkout", 8), ("/account", 7),
        ])
    if name == "device" and kind == "string":
        return q.pick(j, salt, [("mobile", 60), ("desktop", 32), ("tablet", 8)])
    return _generic(q, j, salt, kind, optional=False)


# --------------------------------------------------------------------------- generation


class _Table:
    """A physical table: its columns in first-use order, each with one DuckDB type."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.columns: dict[str, str] = {}

    def add(self, column: str, duck_type: str, where: str) -> None:
        column = str(column)
        known = self.columns.setdefault(column, duck_type)
        if known != duck_type:
            raise DemoError(
                f"{where}: column {self.name}.{column} used as {duck_type} and as {known}"
            )


def _id_type(spec: Mapping[str, Any]) -> str:
    del spec  # ids are integers in every demo market
    return "BIGINT"


def _plan_tables(spec: Mapping[str, Any]) -> dict[str, _Table]:
    market = str(spec["market"])
    tables: dict[str, _Table] = {}

    def table(name: str, where: str) -> _Table:
        _table_parts(str(name), where)
        return tables.setdefault(str(name), _Table(str(name)))

    profiles = spec["profiles"]
    t = table(profiles["table"], f"{market}: profiles")
    t.add(profiles["id"], _id_type(spec), market)
    for name, trait in dict(profiles["traits"] or {}).items():
        t.add(trait["column"], DUCKDB_TYPES[trait["type"]], f"{market}: trait {name}")
    for name, event in dict(spec.get("events") or {}).items():
        where = f"{market}: event {name}"
        t = table(event["table"], where)
        t.add(event["user"], _id_type(spec), where)
        t.add(event["time"], "TIMESTAMP", where)
        if event.get("where") is not None:
            t.add(event["where"]["column"], "VARCHAR", where)
        for pname, prop in dict(event.get("properties") or {}).items():
            t.add(prop["column"], DUCKDB_TYPES[prop["type"]], f"{where}.{pname}")
    consent = spec.get("consent")
    if consent is not None:
        where = f"{market}: consent"
        t = table(consent["table"], where)
        t.add(consent["user"], _id_type(spec), where)
        t.add(consent["purpose"], "VARCHAR", where)
        t.add(consent["status"], "VARCHAR", where)
        t.add(consent["time"], "TIMESTAMP", where)
        if consent.get("confirmed"):
            t.add(consent["confirmed"], "TIMESTAMP", where)
    return tables


def _run(con: duckdb.DuckDBPyConnection, q: _Query, sql: str) -> None:
    con.execute(sql, q.params)
    q.params = {}


def _fill_profiles(
    con: duckdb.DuckDBPyConnection, q: _Query, spec: Mapping[str, Any], n: int, base: int
) -> None:
    market = str(spec["market"])
    profiles = spec["profiles"]
    columns = {str(profiles["id"]): f"({base} + i)"}
    for name, trait in dict(profiles["traits"] or {}).items():
        columns.setdefault(str(trait["column"]), _trait_expr(q, market, name, trait["type"], "i"))
    _insert(con, q, profiles["table"], columns, f"FROM range({n}) AS r(i)")


def _insert(
    con: duckdb.DuckDBPyConnection, q: _Query, table: str, columns: Mapping[str, str], source: str
) -> None:
    names = ", ".join(_ident(c) for c in columns)
    exprs = ", ".join(columns.values())
    _run(con, q, f"INSERT INTO {_qualified(table)} ({names}) SELECT {exprs} {source}")


def _event_counts(events: Sequence[str], total: int) -> dict[str, int]:
    weights = {e: _EVENT_WEIGHTS.get(e, _OTHER_WEIGHT) for e in events}
    norm = sum(weights.values()) or 1.0
    return {e: round(total * w / norm) for e, w in weights.items()}


def _user_of(q: _Query, market: str, event: str, j: str, n: int, base: int) -> str:
    """A profile id for event row ``j``: a few heavy users, a long tail of light ones."""
    u = q.rnd(j, market, event, "user")
    # pow(u, 2.2) piles rows onto small indexes; multiplying by a prime spreads them out.
    return f"({base} + (CAST(floor(pow({u}, 2.2) * {n}) AS BIGINT) * 7919 + 17) % {n})"


def _time_of(q: _Query, market: str, event: str, j: str) -> str:
    """Mostly recent (density grows towards as_of); ~1% a few days after as_of."""
    u = q.rnd(j, market, event, "time")
    late = q.rnd(j, market, event, "late")
    after = f"(as_of() + to_microseconds(CAST({late} * {_micros(10)} AS BIGINT)))"
    return f"(CASE WHEN {late} < 0.01 THEN {after} ELSE {_ago(q, f'pow({u}, 1.5)', EVENT_DAYS)} END)"


def _fill_events(
    con: duckdb.DuckDBPyConnection,
    q: _Query,
    spec: Mapping[str, Any],
    n: int,
    base: int,
    events_per_profile: int,
) -> dict[str, int]:
    market = str(spec["market"])
    events = dict(spec.get("events") or {})
    counts = _event_counts(sorted(events), n * events_per_profile)
    for name in sorted(events):
        event = events[name]
        columns: dict[str, str] = {
            str(event["user"]): _user_of(q, market, name, "j", n, base),
            str(event["time"]): _time_of(q, market, name, "j"),
        }
        if event.get("where") is not None:
            columns.setdefault(str(event["where"]["column"]), q.bind(str(event["where"]["equals"])))
        for pname, prop in dict(event.get("properties") or {}).items():
            expr = _property_expr(q, market, name, pname, prop["type"], "j")
            columns.setdefault(str(prop["column"]), expr)
        _insert(con, q, event["table"], columns, f"FROM range({counts[name]}) AS r(j)")
    # Rows of event types no market maps, in every table shared through `where`.
    shared: dict[tuple[str, str, str, str], set[str]] = {}
    for event in events.values():
        if event.get("where") is not None:
            key = (str(event["table"]), str(event["user"]), str(event["time"]),
                   str(event["where"]["column"]))
            shared.setdefault(key, set()).add(str(event["where"]["equals"]))
    for (table, user, when, column), used in sorted(shared.items()):
        other = "other"
        while other in used:
            other += "_"
        rows = round(n * events_per_profile * _NOISE_SHARE)
        columns = {
            user: _user_of(q, market, table, "j", n, base),
            when: _time_of(q, market, table, "j"),
            column: q.bind(other),
        }
        _insert(con, q, table, columns, f"FROM range({rows}) AS r(j)")
    return counts


def _fill_consent(
    con: duckdb.DuckDBPyConnection, q: _Query, spec: Mapping[str, Any], n: int, base: int
) -> None:
    """0 to 3 changes per profile and purpose (plus one purpose no audience uses).

    First change: granted 70% / denied 30%; later ones: granted, revoked or denied.
    3% of second changes share the first change's timestamp (a tie). Granted rows
    are confirmed (double opt-in) 75% of the time, 0 to 72 hours later.
    """
    consent = spec.get("consent")
    if consent is None:
        return
    market = str(spec["market"])
    statuses = consent["statuses"]
    values = [str(p["value"]) for _, p in sorted(dict(consent["purposes"] or {}).items())]
    unused = "analytics"
    while unused in values:
        unused += "_"
    values.append(unused)
    key = "((i * 16 + p) * 4 + s)"
    salt = (market, "consent")
    changes = q.pick("(i * 16 + p)", (*salt, "n"), [(0, 12), (1, 55), (2, 23), (3, 10)])
    first = _ago(q, q.rnd("(i * 16 + p)", *salt, "t0"), CONSENT_DAYS)
    step = q.rnd(key, *salt, "step")
    tie = q.rnd("(i * 16 + p)", *salt, "tie")
    when = (
        f"(CASE WHEN s = 1 AND {tie} < 0.03 THEN {first} "
        f"ELSE {first} + to_microseconds(CAST(s * {step} * {_micros(200)} AS BIGINT)) END)"
    )
    granted, denied, revoked = (q.bind(str(statuses[k])) for k in ("granted", "denied", "revoked"))
    status = (
        f"(CASE WHEN s = 0 THEN (CASE WHEN {q.rnd(key, *salt, 'st')} < 0.7 "
        f"THEN {granted} ELSE {denied} END) "
        f"WHEN s = 1 AND {tie} < 0.03 THEN {revoked} "
        f"ELSE (CASE WHEN {q.rnd(key, *salt, 'st')} < 0.4 THEN {granted} "
        f"WHEN {q.rnd(key, *salt, 'st')} < 0.75 THEN {revoked} ELSE {denied} END) END)"
    )
    purposes = q.bind(values)
    inner = (
        f"SELECT i, p, s, {when} AS t, {status} AS st, "
        f"{q.rnd(key, *salt, 'conf')} AS uc, {changes} AS k "
        f"FROM range({n}) AS a(i), range({len(values)}) AS b(p), range(3) AS c(s)"
    )
    columns = {
        str(consent["user"]): f"({base} + i)",
        str(consent["purpose"]): f"({purposes})[p + 1]",
        str(consent["status"]): "st",
        str(consent["time"]): "t",
    }
    if consent.get("confirmed"):
        columns.setdefault(
            str(consent["confirmed"]),
            f"(CASE WHEN st = {granted} AND uc < 0.75 "
            f"THEN t + to_microseconds(CAST(uc / 0.75 * {_micros(3)} AS BIGINT)) END)",
        )
    _insert(con, q, consent["table"], columns, f"FROM ({inner}) WHERE s < k")


DEMO_MARK = "audiencelang_demo_generated"
"""A macro every demo file holds: how ``generate`` knows a file it may replace."""


def is_demo_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a regular file (not a symlink) holding a DuckDB database that
    :func:`generate` wrote (it carries the macro :data:`DEMO_MARK`)."""
    import duckdb

    from audiencelang.run.engines import DUCKDB_CONFIG

    p = Path(path)
    if p.is_symlink() or not p.is_file():
        return False
    try:
        with p.open("rb") as f:
            if f.read(12)[8:12] != b"DUCK":  # DuckDB's file header
                return False
        con = duckdb.connect(str(p), read_only=True, config=DUCKDB_CONFIG)
    except (OSError, duckdb.Error):
        return False
    try:
        row = con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ? "
                          "AND function_type = 'macro' AND NOT internal", [DEMO_MARK]).fetchone()
    except duckdb.Error:
        return False
    finally:
        con.close()
    return bool(row and row[0])


def generate(
    db_path: str | os.PathLike[str],
    project: str | os.PathLike[str] | Mapping[str, Any] | Iterable[Any],
    *,
    profiles: int = 100_000,
    events_per_profile: int = 20,
    seed: int = 0,
    markets: Iterable[str] | None = None,
    as_of: dt.datetime = DEFAULT_AS_OF,
) -> DemoStats:
    """Create ``db_path`` (a DuckDB file) holding synthetic data for every market.

    ``profiles`` is the total over all markets, split evenly (the first markets
    get the remainder); each market gets
    about ``profiles / len(markets) * events_per_profile`` event rows. ``markets``
    restricts generation to those market names. Events fall in the 400 days
    before ``as_of`` (~1% after it). The file is built under a temporary name
    and renamed into place, so readers never see half a database; an existing
    file is replaced only when this function wrote it (:func:`is_demo_file`); any other
    existing file raises :class:`DemoError`. The same arguments give the same data.
    """
    import duckdb

    started = time.perf_counter()
    profiles = operator.index(profiles)
    events_per_profile = operator.index(events_per_profile)
    seed = operator.index(seed)
    if profiles < 1 or events_per_profile < 0:
        raise DemoError("profiles must be >= 1 and events per profile >= 0")
    if as_of.tzinfo is None:
        raise DemoError("as_of must carry a time zone (e.g. 2026-11-01T00:00:00Z)") from None
    as_of_utc = as_of.astimezone(dt.UTC).replace(tzinfo=None)
    specs = load_market_specs(project)
    if markets is not None:
        wanted = set(markets)
        unknown = wanted - {str(s["market"]) for s in specs}
        if unknown:
            known = ", ".join(str(s["market"]) for s in specs)
            raise DemoError(f"unknown market(s) {', '.join(sorted(unknown))}; known: {known}")
        specs = [s for s in specs if str(s["market"]) in wanted]
    target = Path(db_path)
    if (target.exists() or target.is_symlink()) and not is_demo_file(target):
        raise DemoError(f"{target} exists and was not written by `audiencelang demo generate`: "
                        "refusing to replace it; remove it yourself or choose another --db path")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB wants to create the file itself
    results: list[MarketStats] = []
    try:
        con = duckdb.connect(str(tmp))
        try:
            q = _Query(seed)
            con.execute("SET TimeZone = 'UTC'")
            con.execute(
                "CREATE TEMP MACRO rnd(k, s) AS "
                "((hash(k, s) % 4294967291)::DOUBLE / 4294967291.0)"
            )
            con.execute(
                "CREATE TEMP MACRO as_of() AS "
                f"CAST('{as_of_utc.isoformat(sep=' ')}' AS TIMESTAMP)"
            )
            share, extra = divmod(profiles, len(specs))
            for index, spec in enumerate(specs):
                n = max(1, share + (1 if index < extra else 0))
                results.append(_generate_market(con, q, spec, index, n, events_per_profile))
            con.execute(f"CREATE MACRO {DEMO_MARK}() AS 'audiencelang demo generate'")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, target)
        Path(f"{target}.wal").unlink(missing_ok=True)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return DemoStats(
        db_path=target, as_of=as_of.astimezone(dt.UTC), seed=seed, markets=tuple(results),
        seconds=time.perf_counter() - started,
    )


def _generate_market(
    con: duckdb.DuckDBPyConnection,
    q: _Query,
    spec: Mapping[str, Any],
    index: int,
    n: int,
    events_per_profile: int,
) -> MarketStats:
    market = str(spec["market"])
    base = (index + 1) * 10_000_000 if n < 10_000_000 else index * 10**12
    tables = _plan_tables(spec)
    for table in tables.values():
        parts = _table_parts(table.name, market)
        if len(parts) == 2:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {_ident(parts[0])}")
        cols = ", ".join(f"{_ident(c)} {t}" for c, t in table.columns.items())
        con.execute(f"CREATE TABLE {_qualified(table.name)} ({cols})")
    _fill_profiles(con, q, spec, n, base)
    counts = _fill_events(con, q, spec, n, base, events_per_profile)
    _fill_consent(con, q, spec, n, base)
    rows: dict[str, int] = {}
    for name in tables:
        row = con.execute(f"SELECT count(*) FROM {_qualified(name)}").fetchone()
        rows[name] = int(row[0]) if row else 0
    consent = spec.get("consent")
    consent_rows = rows.get(str(consent["table"]), 0) if consent else 0
    return MarketStats(market=market, profiles=n, events=counts, tables=rows,
                       consent_rows=consent_rows)

"""DuckDB plan shapes (docs/sql.md, "Scan strategy on DuckDB") against the reference evaluator.

DuckDB gets its own plan: one grouped scan per distinct row filter, ``FILTER``
aggregates, an ``IN`` semi-join for a selective top-level ``performed X``, and the
tests of LEFT-joined scans packed into bit words (some stored negated). Each test
here loads one small data set into an in-memory DuckDB, compiles audiences whose
shape drives one of those paths (asserted on the SQL, so a test cannot silently
stop exercising it) and compares the members with :func:`audiencelang.eval.evaluate`
or with members computed by hand from the spec.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from audiencelang.eval import evaluate, members_for_destination
from audiencelang.schema import Destination
from audiencelang.sql import compile_audience
from tests import engines
from tests.test_sql_exec import AS_OF, DAY, TABLES, aud, checked_from, ev, people

Data = Mapping[str, Sequence[Mapping[str, Any]]]

PACKED = '"packed" AS ('
INVERTED = "THEN 0 ELSE"
SEMI = '"profiles"."member_id" IN ('
ANTI = "NOT EXISTS("
EXCLUDING = 'NOT "profiles"."member_id" IN ('
OF_PROFILES = 'IN (\n      SELECT\n        "member_id"\n      FROM "profiles"'


class Db:
    """One in-memory DuckDB holding ``data``; ``check`` compiles, runs and compares."""

    def __init__(self, data: Data) -> None:
        self.data = data
        self.con = duckdb.connect(":memory:")
        self.eng = engines.duckdb_engine(self.con)
        for table, columns in TABLES.items():
            self.eng.load(table, columns, data.get(table, ()))

    def sql(self, text: str, name: str | None = None, as_of: dt.datetime | None = AS_OF, **kw: Any) -> str:
        res = compile_audience(checked_from(text, name, kw.pop("destinations", None)), "duckdb", as_of=as_of, **kw)
        assert res.query is not None, res.diagnostics
        return str(res.query.sql)

    def members(self, text: str, name: str | None = None, as_of: dt.datetime | None = AS_OF) -> tuple[set[int], str]:
        sql = self.sql(text, name, as_of)
        ids = [int(r[0]) for r in self.eng.query(sql)]
        assert len(ids) == len(set(ids)), "a member appears twice"
        return set(ids), sql

    def check(self, text: str, name: str | None = None, *, as_of: dt.datetime | None = AS_OF,
              eval_as_of: dt.datetime | None = None) -> tuple[set[int], str]:
        """Members from DuckDB, asserted equal to the evaluator's; returns them and the SQL."""
        got, sql = self.members(text, name, as_of)
        expected = evaluate(checked_from(text, name), self.data, as_of=eval_as_of or as_of or AS_OF)
        assert got == expected, f"{text}\nextra {got - expected} missing {expected - got}\n{sql}"
        return got, sql

    def close(self) -> None:
        self.con.close()


@pytest.fixture
def db_factory() -> Iterator[Any]:
    made: list[Db] = []

    def make(data: Data) -> Db:
        made.append(Db(data))
        return made[-1]

    yield make
    for d in made:
        d.close()


def _now_away_from_midnight() -> dt.datetime:
    """The current UTC second, not within a minute of midnight: the SQL reads the clock a
    moment later, and a date trait's window must round to the same day for both."""
    now = dt.datetime.now(dt.UTC)
    if (now + dt.timedelta(minutes=1)).date() != now.date():
        time.sleep(61 - now.second)
        now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=0)


def order(uid: int, ts: dt.datetime, total: Decimal | None = None, placed: dt.date | None = None) -> dict[str, Any]:
    return {"customer": uid, "ordered_at": ts, "total": total, "placed_on": placed}


def rich(seed: int, n: int = 24, base: dt.datetime = AS_OF) -> dict[str, list[dict[str, Any]]]:
    """A random but reproducible data set around ``base``: nulls, events after ``base``,
    events on window edges, two events on one table (``buy``/``view``) and one without a
    row filter (``order``), consent rows of every purpose."""
    r = random.Random(seed)
    hour = dt.timedelta(hours=1)
    ppl = [{"id": i, "country": r.choice(["DE", "AT", None]), "age": r.choice([17, 30, None]),
            "ltv": r.choice([Decimal("10.5"), None, Decimal(0)]),
            "signup": r.choice([(base - r.randint(0, 100) * DAY).date(), None]),
            "email": r.choice(["a@gmail.com", "b@x.de", None]), "city": r.choice(["Mün", None]),
            "last_login": r.choice([base - r.randint(0, 1000) * hour, None]),
            "staff": r.choice([True, False, None])} for i in range(1, n + 1)]
    users = [*range(1, n + 1), None]
    evs = [{"uid": r.choice(users),
            "ts": r.choice([base - r.randint(0, 60 * 24) * hour, base + DAY, None, base - 30 * DAY, base - 7 * DAY]),
            "kind": r.choice(["buy", "buy", "view", "other", None]),
            "amount": r.choice([Decimal("5.00"), Decimal("19.99"), None, Decimal("100.50")]),
            "channel": r.choice(["app", "web", None]), "path": r.choice(["/a", "/b", None])}
           for _ in range(n * 5)]
    orders = [order(r.choice(users), r.choice([base - r.randint(0, 90) * DAY, base + DAY, None]),  # type: ignore[arg-type]
                    r.choice([Decimal("1"), Decimal("50"), None]),
                    r.choice([(base - r.randint(0, 60) * DAY).date(), None])) for _ in range(n * 2)]
    cons = []
    for _ in range(n * 2):
        t = r.choice([base - r.randint(0, 60) * DAY, base + DAY, None])
        cons.append({"uid": r.choice(range(1, n + 1)), "purpose": r.choice(["ads", "mail", "plain", "track"]),
                     "status": r.choice(["yes", "no", "withdrawn"]), "ts": t, "confirmed": r.choice([t, None])})
    return {"crm.people": ppl, "ev.events": evs, "ev.orders": orders, "legal.consent": cons}


# --------------------------------------------------------------------------- packed bits, by hand


def test_packed_tests_true_without_rows_hold_for_profiles_missing_from_every_scan(db_factory: Any) -> None:
    """``at most`` / ``exactly 0`` are stored negated: a profile absent from the packed CTE
    (no row in any scan) reads 0 and must still satisfy them; one with rows must not."""
    data = {
        "crm.people": people(1, 2, 3, 4, 5),
        "ev.events": [ev(2, AS_OF - DAY), ev(2, AS_OF - 2 * DAY), ev(3, AS_OF - DAY, kind="view"),
                      ev(5, AS_OF + DAY)],  # after as_of: never counts
        "ev.orders": [order(4, AS_OF - DAY), order(4, AS_OF - 2 * DAY)],
    }
    db = db_factory(data)
    # under an `or`, the three tests are packed (at the top level they become anti-joins)
    got, sql = db.check(aud("((performed buy at most 1 time) and (performed view exactly 0 times) "
                            "and count(order) <= 1) or (performed order at least 5 times)"))
    assert PACKED in sql and INVERTED in sql
    assert got == {1, 5}
    got, sql = db.check(aud("(performed buy at most 1 time) and (performed view exactly 0 times) "
                            "and count(order) <= 1"))
    assert ANTI in sql and PACKED not in sql
    assert got == {1, 5}
    got, _ = db.check(aud("not (performed buy at most 1 time) or not (performed view exactly 0 times) "
                          "or count(order) > 1"))
    assert got == {2, 3, 4}
    got, _ = db.check(aud("(performed buy at most 1 time) or (performed view) or count(order) >= 2"))
    assert got == {1, 3, 4, 5}


def test_mask_tests_over_one_word_in_and_or_not(db_factory: Any) -> None:
    """Several tests of one word under one and/or become one mask test; both polarities mix."""
    data = {
        "crm.people": people(1, 2, 3, 4, 5, 6),
        "ev.events": [ev(1, AS_OF - DAY), ev(1, AS_OF - DAY, kind="view"),
                      ev(2, AS_OF - DAY), ev(2, AS_OF - 40 * DAY), ev(2, AS_OF - 40 * DAY),
                      ev(3, AS_OF - 40 * DAY, kind="view")],
        "ev.orders": [order(4, AS_OF - DAY, Decimal("10")), order(6, AS_OF - 3 * DAY, Decimal("60"))],
    }
    db = db_factory(data)
    pool = ["(performed buy in last 7 days)", "(performed buy at most 1 time)", "(performed view exactly 0 times)",
            "(performed view in last 30 days)", "sum(order.total) >= 50", "count(order) = 0",
            "(performed buy at least 3 times)", "max(order.total) < 20"]
    packed = multi_bit = 0
    for a in pool:
        for b in pool:
            for form in ("{a} and {b}", "{a} or {b}", "not ({a} and {b})", "not ({a} or {b})",
                         "({a} or {b}) and not {a}"):
                _, sql = db.check(aud(form.format(a=a, b=b)))
                packed += PACKED in sql
                masks = [int(m) for m in re.findall(r'"packed_0" & (\d+)', sql)]
                multi_bit += any(m & (m - 1) for m in masks)  # a mask test over several tests
    assert packed > 100 and multi_bit > 30, (packed, multi_bit)
    # by hand: bought in the last week, and no view ever / or an order worth >= 50
    got, sql = db.check(aud("(performed buy in last 7 days) and ((performed view exactly 0 times) or "
                            "sum(order.total) >= 50)"))
    assert got == {2}


def test_more_than_62_packed_tests_use_a_second_word(db_factory: Any) -> None:
    atoms = [f"(performed {e} {c} {k} times{w})"
             for e in ("buy", "view", "order")
             for w in ("", " in last 7 days", " in last 30 days", " since 2026-10-15", " in last 45 days")
             for k in range(4) for c in ("at least", "at most")]
    assert len(atoms) == 120
    db = db_factory(rich(3, n=30))
    r = random.Random(7)
    sizes = set()
    for n in (64, 72, 120):  # every form below reads at least 63 distinct tests
        a = r.sample(atoms, n)
        cut = n // 2
        for include in ("(" + " or ".join(a[:cut]) + ") and (" + " or ".join(a[cut:]) + ")",
                        " or ".join(f"({x} and {y})" for x, y in zip(a[::2], a[1::2], strict=False)),
                        " and ".join(f"({x} or {y} or {z})" for x, y, z in zip(a[::3], a[1::3], a[2::3], strict=False)),
                        "not (" + " and ".join(a[:cut]) + ") and not (" + " or ".join(a[cut:]) + ")"):
            text = f"audience a {{ include {include} }}\naudience b {{ include in audience a or count(order) = 1 }}"
            for name in ("a", "b"):
                got, sql = db.check(text, name)
                sizes.add(len(got))
                assert '"packed_1"' in sql
    assert len(sizes) > 2, sizes  # the member sets are not all trivial


# --------------------------------------------------------------------------- references, reuse, aggregates


def test_references_and_one_aggregate_used_in_several_places(db_factory: Any) -> None:
    """A referenced audience whose tests live in packed scans, the same test read by the
    referencing audience with the other polarity, and the same aggregate under several tests."""
    text = """
    audience a {
      include in audience b or (performed buy at most 1 time in last 30 days)
      exclude (performed view exactly 0 times) and not in audience b
    }
    audience b {
      include (performed buy in last 30 days) and count(view) <= 2 and sum(order.total) between 1 and 60
      exclude count(buy) in last 30 days >= 3
    }
    audience c {
      include not in audience a and (count(buy) in last 30 days != 2 or in audience b)
    }
    """
    for seed in range(4):
        db = db_factory(rich(seed))
        for name in ("a", "b", "c"):
            _, sql = db.check(text, name)
            assert (PACKED in sql and INVERTED in sql) == (name != "b")  # b: every scan INNER-joined


@pytest.mark.parametrize("as_of_none", [False, True])
def test_avg_sum_min_max_and_time_typed_min_max_in_packed_scans(db_factory: Any, as_of_none: bool) -> None:
    """Numeric and time-typed min/max (date and timestamp properties, with windows), avg and sum
    tests packed, also without ``as_of`` (bounds from the params CTE, read inside the packed
    CTE). A date max compared with a non-midnight instant becomes ``is not null`` / false."""
    now = _now_away_from_midnight()
    base = now if as_of_none else AS_OF
    tests = [
        "avg(buy.amount) > 19 or min(buy.amount) <= 5 or sum(order.total) >= 50",
        "not avg(buy.amount) > 19 or not min(buy.amount) <= 5 or not sum(order.total) >= 50",
        "max(order.placed) in last 30 days after 2026-10-10 or (performed view in last 7 days)",
        "not max(order.placed) in last 30 days after 2026-10-10 and not (performed view in last 7 days)",
        "max(order.placed) in last 60 days >= 2026-10-20 or max(buy.at) in last 30 days > 2026-10-25T00:00:00Z",
        "max(buy.at) before 2026-10-15 or count(order) = 0",
        "min(buy.at) after 2026-10-01 or not (performed order)",
        "max(order.placed) != 2026-10-01T12:00:00Z or (performed view at most 2 times)",
        "not max(order.placed) != 2026-10-01T12:00:00Z and not (performed view at most 2 times)",
        "max(order.placed) = 2026-10-01T12:00:00Z or (performed buy at most 1 time) or (performed view)",
        "sum(buy.amount) in last 30 days between 10 and 200 or count(order) != 1",
        "max(order.total) >= 50 or max(buy.amount) < 10",
        "avg(order.total) in last 30 days between 1 and 20 or avg(buy.amount) where channel = \"app\" >= 19.99",
        "count(buy.amount) >= 1 or count(order.total) = 0",
        "(performed buy between 2026-10-01 and 2026-10-25) or (performed view since 2026-10-20) "
        "or (performed order at most 0 times)",
        "sum(order.total) > -1 and not sum(buy.amount) < 0 and count(view) >= 0",
    ]
    for seed in range(3):
        db = db_factory(rich(seed, base=base))
        for t in tests:
            if as_of_none:  # every edge in the data is a whole hour from now: 2 s later decides the same
                _, sql = db.check(aud(t), as_of=None, eval_as_of=now + dt.timedelta(seconds=2))
                assert '"params" AS (' in sql
            else:
                _, sql = db.check(aud(t))
            # a top-level conjunction of tests true without rows takes anti-joins instead
            assert PACKED in sql or (" and " in t and " or " not in t
                                     and (ANTI in sql or EXCLUDING in sql)), t


# --------------------------------------------------------------------------- semi-join, INNER JOIN, of_profiles


def test_semi_join_with_sub_audiences_inner_joins_and_packing_in_one_statement(db_factory: Any) -> None:
    """A selective top-level trait test turns ``performed X`` into ``IN (SELECT user ...)``;
    the same statement also INNER JOINs a required scan, packs LEFT-joined scans, limits them
    to the profiles of a trait window and reads a referenced audience."""
    text = """
    audience a {
      include (performed view in last 30 days) and email ends with "@gmail.com" and signup in last 60 days
        and count(order) >= 1 and ((performed buy at most 1 time) or in audience b or sum(buy.amount) > 20)
      exclude (performed buy where channel = "web" exactly 0 times) and count(order.total) < 1
    }
    audience b { include (performed buy where channel = "app") or max(order.placed) before 2026-10-10 }
    audience s { include (performed buy where channel = "app" in last 30 days) and email = "a@gmail.com" }
    audience t { include (performed view) and country = "DE" and in audience b }
    """
    for seed in range(6):
        db = db_factory(rich(seed))
        _, sql = db.check(text, "a")
        assert SEMI in sql and PACKED in sql and "INNER JOIN" in sql and OF_PROFILES in sql
        _, sql = db.check(text, "s")
        assert SEMI in sql
        _, sql = db.check(text, "t")


def test_semi_join_for_performed_with_as_of_none_and_a_gate(db_factory: Any) -> None:
    now = _now_away_from_midnight()
    data = {
        "crm.people": [*people(1, 2, 3, email="a@gmail.com"), *people(4, email="b@x.de")],
        "ev.events": [ev(1, now - 2 * DAY), ev(2, now - 20 * DAY), ev(3, now + DAY), ev(4, now - DAY)],
    }
    db = db_factory(data)
    text = aud('(performed buy in last 7 days) and email ends with "@gmail.com"')
    got, sql = db.check(text, as_of=None, eval_as_of=now + dt.timedelta(seconds=2))
    assert SEMI in sql and got == {1}
    dests = {"d": Destination(min_size=1, identifier="email")}
    gated = aud('(performed buy in last 30 days) and email ends with "@gmail.com"', "activate d")
    res = db.sql(gated, as_of=AS_OF, destination="d", destinations=dests)  # as_of: nothing near it
    assert db.eng.query(res) == []
    sql = db.sql(gated, as_of=None, destination="d", destinations=dests)
    assert SEMI in sql
    assert sorted(db.eng.query(sql)) == [(1, "a@gmail.com"), (2, "a@gmail.com")]


@pytest.mark.parametrize("condition", ["count(buy.amount) >= 1", "count(buy.amount) in last 7 days > 0",
                                       "count(order.total) >= 1"])
def test_semi_join_of_count_of_a_property_counts_only_non_null_values(db_factory: Any, condition: str) -> None:
    """``count(E.p)`` counts occurrences whose ``p`` is not null (docs/semantics.md, Aggregates).
    Regression: the semi-join for a top-level ``count >= 1`` (``_is_exists`` +
    ``Builder.semi_join``) tested only that a row exists, so profile 1, whose only row has a
    null property, was returned although its count is 0."""
    data = {
        "crm.people": people(1, 2, email="x@y"),
        "ev.events": [ev(1, AS_OF - DAY, amount=None), ev(2, AS_OF - DAY, amount=Decimal("1"))],
        "ev.orders": [order(1, AS_OF - DAY, None), order(2, AS_OF - DAY, Decimal("3"))],
    }
    db = db_factory(data)
    got, sql = db.members(aud(f'{condition} and email = "x@y"'))
    assert SEMI in sql
    assert got == {2}


# --------------------------------------------------------------------------- gates, size, consent


def test_gates_and_size_mode_over_packed_and_semi_join_shapes(db_factory: Any) -> None:
    includes = [
        '(performed buy) and email ends with "@gmail.com" and signup in last 60 days',
        "(performed buy at most 1 time) or count(order) >= 2 or (performed view exactly 0 times)",
        '(performed view) and ((performed buy at most 1 time) or count(order) >= 2) and email = "a@gmail.com"',
        "max(order.placed) != 2026-10-01T12:00:00Z and (performed buy at most 1 time)",
    ]
    shapes: set[str] = set()
    for seed in range(3):
        data = rich(seed)
        db = db_factory(data)
        for inc in includes:
            for own, dest_min in ((None, 0), (3, 5), (None, 9), (30, 0)):
                size = f"min size {own}" if own is not None else ""
                text = f"audience a {{ include {inc} {size} activate d require consent track }}"
                dests = {"d": Destination(min_size=dest_min, identifier="email")}
                sql = db.sql(text, destination="d", destinations=dests)
                shapes.update(k for k, m in (("packed", PACKED), ("semi", SEMI)) if m in sql)
                got = sorted(db.eng.query(sql), key=lambda r: repr(r[0]))
                expected = members_for_destination(checked_from(text, None, dests), data, "d", as_of=AS_OF)
                assert got == expected, (text, sql)
            sql = db.sql(aud(inc), mode="size")
            assert db.eng.query(sql)[0][0] == len(evaluate(checked_from(aud(inc)), data, as_of=AS_OF))
    assert shapes == {"packed", "semi"}


def test_consent_next_to_packed_scans(db_factory: Any) -> None:
    text = """
    audience a {
      include ((performed buy at most 1 time) or has consent track) and (count(order) = 0 or has consent mail)
        and not ((performed view) and not has consent ads)
      require consent plain
    }
    audience b { include in audience a or ((performed view exactly 0 times) and has consent track) }
    """
    for seed in range(4):
        db = db_factory(rich(seed))
        _, sql = db.check(text, "a")
        assert PACKED in sql and '"consent" AS (' in sql
        db.check(text, "b")


# --------------------------------------------------------------------------- a small random sweep


def _atom(r: random.Random) -> str:
    e = r.choice(["buy", "view", "order"])
    k = r.randint(0, 3)
    w = r.choice(["", " in last 7 days", " in last 30 days", " since 2026-10-15",
                  " between 2026-10-01 and 2026-10-20", " in last 2 hours"])
    if r.random() < 0.5:
        where = ""
        if e == "buy" and r.random() < 0.3:
            where = r.choice([' where channel = "app"', " where amount > 10", ' where not channel = "web"'])
        if e == "order" and r.random() < 0.3:
            where = " where total >= 50"
        count = r.choice(["", f" at least {k} times", f" at most {k} times", f" exactly {k} times"])
        return f"(performed {e}{where}{count}{w})"
    if e == "view":
        return f"count(view){w} {r.choice(['>=', '<=', '=', '!='])} {k}"
    p = r.choice({"buy": ["amount", "at"], "order": ["total", "placed"]}[e])
    if p in ("at", "placed"):
        return f"{r.choice(['min', 'max'])}({e}.{p}){w} {r.choice(['before', 'after'])} 2026-10-{r.randint(1, 31):02d}"
    f = r.choice(["sum", "avg", "min", "max"])
    return f"{f}({e}.{p}){w} {r.choice(['>=', '<=', '=', '!=', '<', '>'])} {r.choice(['0', '5', '19.99', '50'])}"


def _tree(r: random.Random, depth: int, pool: list[str]) -> str:
    x = r.random()
    if depth == 0 or x < 0.35:
        return r.choice(pool)
    if x < 0.5:
        return f"not ({_tree(r, depth - 1, pool)})"
    op = " and " if x < 0.7 else " or "
    return "(" + op.join(_tree(r, depth - 1, pool) for _ in range(r.randint(2, 4))) + ")"


TRAITS = ['country = "DE"', "age >= 18", 'email ends with "@gmail.com"', "signup in last 60 days",
          "staff = false", "ltv is null", 'country in ["DE", "AT"]']


@pytest.mark.parametrize("as_of_none", [False, True])
def test_random_audiences_over_every_shape(db_factory: Any, as_of_none: bool) -> None:
    """Random and/or/not trees over performed/aggregate/consent/trait/reference conditions with
    top-level conjuncts that trigger INNER JOIN, the semi-join and ``of_profiles``."""
    now = _now_away_from_midnight()
    base = now if as_of_none else AS_OF
    dbs = {s: db_factory(rich(s, base=base)) for s in range(3)}
    seen: set[str] = set()
    for seed in range(60):
        r = random.Random(seed)
        pool = [_atom(r) for _ in range(r.choice([3, 6, 20]))]
        sub = (f"audience b {{ include {_tree(r, 2, [*pool, r.choice(TRAITS)])}"
               f"{' exclude ' + _tree(r, 1, pool) if r.random() < 0.5 else ''}"
               f"{' require consent ads' if r.random() < 0.3 else ''} }}\n")
        top = [*pool, "in audience b", r.choice(TRAITS), "has consent track", "has consent mail"]
        parts = [_tree(r, 3, top)]
        for p, extra in ((0.5, r.choice(TRAITS)), (0.5, r.choice(pool)), (0.3, "in audience b"),
                         (0.4, r.choice(["(performed buy)", "(performed view in last 7 days)", "(performed order)",
                                         '(performed buy where channel = "app")'])),
                         (0.3, 'email ends with "@gmail.com"')):
            if r.random() < p:
                parts.append(extra)
        exclude = f" exclude {_tree(r, 2, top)}" if r.random() < 0.4 else ""
        req = " require consent plain" if r.random() < 0.2 else ""
        text = f"audience a {{ include {' and '.join(parts)}{exclude}{req} }}\n{sub}"
        db = dbs[seed % 3]
        if as_of_none:
            _, sql = db.check(text, "a", as_of=None, eval_as_of=now + dt.timedelta(seconds=2))
        else:
            _, sql = db.check(text, "a")
        seen.update(k for k, m in (("packed", PACKED), ("inverted", INVERTED), ("semi", SEMI),
                                   ("inner", "INNER JOIN"), ("of_profiles", OF_PROFILES)) if m in sql)
    assert seen >= {"packed", "inverted", "semi", "inner"} | (set() if as_of_none else {"of_profiles"}), seen


# --------------------------------------------------------------------------- absences folded into a required scan

FOLDED = [
    'performed buy where channel = "app" at least 2 times in last 30 days '
    'and not (performed buy where channel = "web" in last 7 days)',
    'performed buy where channel = "app" at least 2 times and performed buy where channel = "web" exactly 0 times',
    'sum(buy.amount) in last 30 days >= 20 and not (performed view)',
    'performed buy at least 2 times and not (performed buy where channel = "web" in last 7 days)',
    'performed buy where channel = "app" at least 2 times in last 7 days and not (performed buy where channel = "web" '
    'in last 30 days) and count(order) >= 1 and not (performed view in last 3 days)',
]
NOT_FOLDED = [
    'performed buy and not (performed view)',  # an existence test: a semi-join's candidate
    'performed buy at least 2 times or not (performed view)',  # not top-level
    'performed buy where channel = "app" at least 2 times and not (performed order)',  # another table
]


def test_an_absence_is_folded_into_a_required_scan_of_the_same_table(db_factory: Any) -> None:
    """``performed E where W1 at least 2 times and not (performed E where W2)``: one pass of
    the event table whose HAVING tests both counts (``FILTER``), no anti-join reading the
    table again; the members are the evaluator's, on window edges (+-1 us), after
    ``as_of``, null users and null columns, and on random data."""
    lower = AS_OF - 7 * DAY
    app = {"channel": "app", "amount": Decimal("15")}
    data = {
        "crm.people": people(1, 2, 3, 4, 5, 6, 7),
        "ev.events": [
            *(ev(u, AS_OF - DAY, **app) for u in (1, 2, 3, 4, 5, 6) for _ in range(2)),
            ev(1, lower, channel="web"),  # exactly at the bound: counts, 1 is out
            ev(2, lower - dt.timedelta(microseconds=1), channel="web"),  # 1 us before: 2 stays
            ev(3, AS_OF + dt.timedelta(microseconds=1), channel="web"),  # after as_of: 3 stays
            ev(4, AS_OF - DAY, channel=None),  # no channel: not a web buy
            ev(5, AS_OF - DAY, kind="view", channel="app"),
            ev(6, AS_OF, channel="web"),  # at as_of: counts
            {"uid": None, "ts": AS_OF - DAY, "kind": "buy", "channel": "web"},
            ev(7, AS_OF - DAY, channel="web"),
        ],
        "ev.orders": [order(u, AS_OF - DAY) for u in (1, 2, 4, 6)],
    }
    for d in (data, rich(0), rich(1), rich(2)):
        db = db_factory(d)
        for t in FOLDED:
            _, sql = db.check(aud(t))
            assert ANTI not in sql and sql.count('FROM "ev"."events"') == 1, t
            assert "FILTER(WHERE" in sql, t
        for t in NOT_FOLDED:
            _, sql = db.check(aud(t))
            assert sql.count('FROM "ev"."events"') == 2 or ANTI in sql, t
    got, _ = db_factory(data).check(aud(FOLDED[0]))
    assert got == {2, 3, 4, 5}
    # without `as_of`: the windows' bounds come from the params CTE, in the WHERE and FILTERs
    now = _now_away_from_midnight()
    for seed in range(2):
        db = db_factory(rich(seed, base=now))
        for t in FOLDED:  # every edge in the data is a whole hour from now: 2 s later decides the same
            _, sql = db.check(aud(t), as_of=None, eval_as_of=now + dt.timedelta(seconds=2))
            assert '"params" AS (' in sql and ANTI not in sql and sql.count('FROM "ev"."events"') == 1, t


#: top-level tests on INNER-joined scans whose aggregates nothing else reads
ONLY_IN_HAVING = [
    # a plain existence test (not selective: no semi-join): the join is the test
    ('performed buy where channel = "app" in last 30 days and age >= 18', 0),
    # counts and a sum, each read by its own test only
    ('performed buy at least 2 times in last 30 days and sum(buy.amount) in last 7 days >= 10', 0),
    # an average: its sum and count live in the HAVING only
    ('avg(buy.amount) where channel = "app" > 5 and performed order', 0),
]
#: the same aggregates also read after the join: they stay in the scan and in facts
STILL_READ = [
    'performed buy at least 2 times in last 30 days and (performed buy at least 5 times in last 30 days or age >= 40)',
    'sum(buy.amount) in last 30 days >= 10 and in audience rich',
]


def test_an_aggregate_only_its_scans_having_reads_is_not_returned(db_factory: Any) -> None:
    """A top-level test on an INNER-joined scan is applied in the scan's HAVING; the
    aggregate it reads, read by nothing else, is computed there alone: not selected by the
    scan, not carried by facts (a plain `performed` computes no aggregate at all). The
    members are the evaluator's on window edges, nulls and random data."""
    lower = AS_OF - 30 * DAY
    data = {
        "crm.people": [*people(1, 2, 3, 4, 5, 6, age=30), *people(7, 8, age=50), {"id": 9, "age": None}],
        "ev.events": [
            ev(1, lower, channel="app", amount=Decimal("6")),  # exactly at the bound: counts
            ev(2, lower - dt.timedelta(microseconds=1), channel="app", amount=Decimal("9")),  # 1 us before
            ev(3, AS_OF + dt.timedelta(microseconds=1), channel="app"),  # after as_of
            ev(4, AS_OF, channel="app", amount=None),  # at as_of, no amount
            *(ev(u, AS_OF - DAY, amount=Decimal("5")) for u in (5, 6, 7, 8) for _ in range(u - 3)),
            ev(9, AS_OF - DAY, channel="app", amount=Decimal("12")),
            {"uid": None, "ts": AS_OF - DAY, "kind": "buy", "channel": "app", "amount": Decimal("1")},
        ],
        "ev.orders": [order(u, AS_OF - DAY) for u in (1, 4, 5, 9)],
    }
    # the referenced audience reads the same sum after the join (its own aud_ CTE)
    rich_def = "\naudience rich {\n include sum(buy.amount) in last 30 days >= 10 or age >= 40\n}\n"
    for d in (data, rich(0), rich(1), rich(2)):
        db = db_factory(d)
        for t, _ in ONLY_IN_HAVING:
            _, sql = db.check(aud(t))
            facts = sql[sql.index('"facts" AS ('):sql.index('"members" AS (')]
            assert 'INNER JOIN "ev_buy' in facts or 'INNER JOIN "events_ev_events' in facts, (t, sql)
            assert not re.search(r'"(n|s|sum|avg)_buy', facts), (t, facts)
        plain = db.sql(aud(ONLY_IN_HAVING[0][0]))
        scan = plain[plain.index('"ev_buy'):plain.index('"facts" AS (')]
        assert "COUNT(" not in scan and "GROUP BY" in scan, scan
        for t in STILL_READ:
            text = aud(t) + rich_def if "in audience" in t else aud(t)
            _, sql = db.check(text, "a")
            facts = sql[sql.index('"facts" AS ('):sql.index('"members" AS (')]
            assert re.search(r'COALESCE\("[a-z_]+"\."(n|s|sum)_', facts), (t, facts)

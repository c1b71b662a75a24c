"""Profile ids are compared byte for byte (docs/semantics.md), also on MariaDB, whose default
collation (``utf8mb4_general_ci``) folds case and pads trailing spaces: ``a1``, ``A1`` and
``a1 `` are three profiles for `run` and for `explain --profile`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from audiencelang.check import check_audience
from audiencelang.project import project_from_sources
from audiencelang.review.explain import explain_profile
from audiencelang.run.engines import connect
from audiencelang.run.execute import run_audience
from tests.test_run_more_engines import mysql_url

AS_OF = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
MARKET = """\
market: xx
profiles:
  table: shop.people
  id: pid
  traits:
    country: {column: country, type: string}
events:
  purchase:
    table: shop.orders
    user: buyer
    time: at
"""
AUDIENCES = {
    "buyers.aud": 'audience buyers {\n  include performed purchase\n}\n',
    "repeat.aud": 'audience repeat_buyers {\n  include performed purchase at least 2 times\n}\n',
    "de.aud": 'audience germans {\n  include country = "DE"\n}\n',
}
IDS = ["a1", "A1", "a1 ", "b2"]


@pytest.fixture
def shop(mysql_connection: Any, mariadb_server: Any) -> str:
    with mysql_connection.cursor() as cur:
        cur.execute("CREATE DATABASE shop")
        cur.execute("CREATE TABLE shop.people (pid VARCHAR(20), country VARCHAR(2))")  # default collation
        cur.executemany("INSERT INTO shop.people VALUES (%s, %s)", [(i, "DE") for i in IDS])
        cur.execute("CREATE TABLE shop.orders (buyer VARCHAR(20), at DATETIME(6))")
        cur.executemany("INSERT INTO shop.orders VALUES (%s, %s)",
                        [("A1", "2026-10-01 00:00:00"), ("A1", "2026-10-02 00:00:00"), ("b2", "2026-10-03 00:00:00")])
    mysql_connection.commit()
    return mysql_url(mariadb_server, "shop")


@pytest.mark.mysql
def test_ids_differing_in_case_or_a_trailing_space_stay_distinct_profiles(shop: str) -> None:
    project = project_from_sources(markets={"xx.yaml": MARKET}, audiences=AUDIENCES)
    with connect(shop) as engine:
        got = {}
        for name in ("buyers", "repeat_buyers", "germans"):
            r = run_audience(project, name, "xx", engine=engine, as_of=AS_OF, collect_members=True)
            assert r.ok and r.members is not None, r.diagnostics
            got[name] = sorted(r.members)
        assert got == {"buyers": ["A1", "b2"], "repeat_buyers": ["A1"], "germans": sorted(IDS)}
        checked, _ = check_audience(project, "buyers", "xx")
        assert checked is not None
        for pid, member in (("a1", False), ("A1", True), ("a1 ", False)):
            ex = explain_profile(checked, engine, pid, AS_OF)
            assert ex.explanation.member is member, pid
            assert ex.rows == {"shop.people": 1, "shop.orders": 2 if member else 0}, pid


@pytest.mark.mysql
def test_the_batch_statement_keeps_them_distinct_too(shop: str, mysql_connection: Any) -> None:
    from audiencelang.sql import compile_batch

    project = project_from_sources(markets={"xx.yaml": MARKET}, audiences=AUDIENCES)
    checked = [check_audience(project, n, "xx")[0] for n in ("buyers", "repeat_buyers", "germans")]
    result = compile_batch([c for c in checked if c is not None], "mysql", as_of=AS_OF)
    assert not result.left_out and len(result.statements) == 1, result
    (st,) = result.statements
    with mysql_connection.cursor() as cur:
        cur.execute("USE shop")
        cur.execute(st.sql)
        got = {a: sorted(m) for a, m in st.members(cur.fetchall()).items()}
    assert got == {"buyers": ["A1", "b2"], "repeat_buyers": ["A1"], "germans": sorted(IDS)}

"""The consent pass of a statement: one grouped pass over the consent table deciding, per
user and purpose, whether the latest state is a grant or a refusal (spec §4), with the
purposes :mod:`audiencelang.sql.physical` moved into its ``HAVING``.

A function of a :class:`~audiencelang.sql.build.Builder` (its expression primitives and
the decisions)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlglot import exp

from audiencelang.sql import plan as P
from audiencelang.sql.lower import format_instant
from audiencelang.sql.nodes import alias, and_, col, not_null, num, or_, table_ref

if TYPE_CHECKING:
    from audiencelang.sql.build import Builder

__all__ = ["consent_ctes"]

SRC = "src"
PARAMS = "params"


def consent_ctes(b: Builder, c: P.ConsentScan) -> list[tuple[str, exp.Expr]]:
    """One grouped pass over the consent table, no window: per user and purpose the
    latest time (``MAX``), the latest refused time and the latest granted (and, for
    double opt-in, confirmed) time. Refused iff the latest refused time is the latest
    time (a refusal wins a tie); granted iff the latest granted time is. An opt-in
    purpose with ``max_age_days`` only reads rows inside that age: an older latest
    row never grants, so dropping older rows gives the same answer."""
    pscope = PARAMS

    def s(text: str) -> exp.Expr:
        return b.string(text)

    def t() -> exp.Expr:
        return col(c.time, SRC)

    def latest(cond: exp.Expr) -> exp.Expr:
        return b.f(exp.Max, this=b.f(exp.Case, ifs=[b.f(exp.If, this=cond, true=t())]))

    def flag(cond: exp.Expr, latest_of_p: exp.Expr) -> exp.Expr:
        return b.case01(exp.EQ(this=latest(cond), expression=latest_of_p))

    def status_in(*values: str) -> exp.Expr:
        if len(values) == 1:
            return exp.EQ(this=b.exact(col(c.status, SRC)), expression=s(values[0]))
        return exp.In(this=b.exact(col(c.status, SRC)), expressions=[s(v) for v in values])

    def of_purpose(p: P.ConsentPurpose) -> list[exp.Expr]:
        out: list[exp.Expr] = [exp.EQ(this=b.exact(col(c.purpose, SRC)), expression=s(p.value))]
        if p.mode == "opt_in" and p.max_age_days is not None:
            if b.plan.as_of is not None:
                bound = dt.datetime.fromisoformat(b.as_of_value.text) - dt.timedelta(days=p.max_age_days)
                bv = P.Value("instant", format_instant(bound))
            else:
                bv = P.Value("as_of", str(p.max_age_days * 86400))
            out.append(exp.GTE(this=b.clocked(t()), expression=b.value(bv, pscope)))
        return out

    def packed(p: P.ConsentPurpose) -> exp.Expr:
        """MAX(epoch_us(time) * 2^k + state): the latest time's strongest state in the low
        bits (1 bit: refused 1, granted 0; double opt-in, 2 bits: refused 2, granted and
        confirmed 1, granted 0), so a refusal wins a tie, then a confirmed grant."""
        assert b.d.epoch_us is not None
        refused = status_in(c.denied, c.revoked)
        if c.granted not in (c.denied, c.revoked):
            # every row of the pass has one of the three states (its WHERE): refused is
            # "not granted", one comparison instead of two
            refused = exp.NEQ(this=b.exact(col(c.status, SRC)), expression=s(c.granted))
        doi = p.mode == "opt_in" and p.double_opt_in
        if doi:
            assert c.confirmed is not None  # the market schema requires it for double opt-in
            state: exp.Expr = b.f(exp.Case, ifs=[
                b.f(exp.If, this=refused, true=num(2)),
                b.f(exp.If, this=and_([
                    not_null(col(c.confirmed, SRC)),
                    exp.LTE(this=b.clocked(col(c.confirmed, SRC)), expression=b.value(b.as_of_value, pscope)),
                ]), true=num(1)),
            ], default=num(0))
        else:
            state = b.case01(refused)
        key = exp.Add(this=exp.Mul(this=b.f(exp.Anonymous, this=b.d.epoch_us, expressions=[t()]),
                                   expression=num(4 if doi else 2)),
                      expression=state)
        if len(c.purposes) == 1:  # the WHERE keeps only this purpose's rows (`which` below)
            return b.f(exp.Max, this=key)
        return b.f(exp.Max, this=b.f(exp.Case, ifs=[
            b.f(exp.If, this=and_(of_purpose(p)), true=key)]))

    def low_bits(p: P.ConsentPurpose, value: int) -> exp.Expr:
        # & (not %): the low bits stay right for negative epochs (before 1970)
        mask = 3 if p.mode == "opt_in" and p.double_opt_in else 1
        return b.case01(exp.EQ(this=exp.Paren(this=exp.BitwiseAnd(this=packed(p), expression=num(mask))),
                                  expression=num(value)))

    items: list[exp.Expr] = [alias(b.key(col(c.user, SRC)), "member_id")]
    having: list[exp.Expr] = []
    for p in c.purposes:
        if p.name in b.dec.consent_having:
            # granted (its low bits) is the latest state: the user holds the purpose
            doi = p.mode == "opt_in" and p.double_opt_in
            mask = 3 if doi else 1
            having.append(exp.EQ(this=exp.Paren(this=exp.BitwiseAnd(this=packed(p), expression=num(mask))),
                                 expression=num(1 if doi else 0)))
            continue
        if b.dec.consent_packed:
            doi = p.mode == "opt_in" and p.double_opt_in
            granted_col: exp.Expr = (low_bits(p, 1 if doi else 0) if p.mode == "opt_in"
                                     else exp.Literal.number("0"))
            items.append(alias(granted_col, p.granted_column))
            items.append(alias(low_bits(p, 2 if doi else 1), p.refused_column))
            continue
        latest_of_p = latest(and_(of_purpose(p)))
        if p.mode == "opt_in":
            granted = [*of_purpose(p), status_in(c.granted)]
            if p.double_opt_in:
                assert c.confirmed is not None  # the market schema requires it for double opt-in
                granted.append(not_null(col(c.confirmed, SRC)))
                granted.append(exp.LTE(this=b.clocked(col(c.confirmed, SRC)),
                                       expression=b.value(b.as_of_value, pscope)))
            items.append(alias(flag(and_(granted), latest_of_p), p.granted_column))
            latest_of_p = latest(and_(of_purpose(p)))
        else:  # opt-out ignores max age and double opt-in: only a refusal counts
            items.append(alias(exp.Literal.number("0"), p.granted_column))
        refused = [*of_purpose(p), status_in(c.denied, c.revoked)]
        items.append(alias(flag(and_(refused), latest_of_p), p.refused_column))

    pruned = any(p.mode == "opt_in" and p.max_age_days is not None for p in c.purposes)
    if pruned:
        which: exp.Expr = or_([and_(of_purpose(p)) for p in c.purposes])
    else:
        which = exp.In(this=b.exact(col(c.purpose, SRC)), expressions=[s(p.value) for p in c.purposes])
    where = [
        not_null(col(c.user, SRC)),
        not_null(t()),
        b.upto_as_of(c.time, SRC),
        which,
        status_in(c.granted, c.denied, c.revoked),
    ]
    consent = exp.Select(
        expressions=items,
        where=exp.Where(this=and_(where)),
        group=exp.Group(expressions=[b.key(col(c.user, SRC))]),
        **({"having": exp.Having(this=and_(having))} if having else {}),
        **b._from(table_ref(c.table, SRC), b._params_join()),
    )
    return [("consent", consent)]

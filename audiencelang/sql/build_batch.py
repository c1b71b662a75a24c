"""A shared batch plan (:mod:`audiencelang.sql.batch`) -> one sqlglot statement.

The statement reuses the single-audience builder's CTEs (``params``, ``profiles``, one
grouped pass per event table, sequences, packed bits, ``consent``, ``facts`` and the chain
of referenced audiences) and ends differently: one row per profile id that is a member of
at least one of the batch's audiences, with the audiences it is a member of as bits::

    SELECT member_id, w_0, w_1 ... -- bit i of w_(k // 62) set: member of audience k

Each bit is set when any of the id's ``facts`` rows passes the audience's membership:
exactly the single statement's ``WHERE membership GROUP BY member_id``. With ``bit_or``
(:func:`audiencelang.sql.physical.batch_bit_or`) each row's bits are summed into words and
an id's words OR-ed (``BIT_OR``); else ``MAX(CASE WHEN membership THEN 1 ELSE 0 END)``
per audience, times its power of two.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from audiencelang.sql import plan as P
from audiencelang.sql.build import Builder, _word, alias, col, cte_ref, num, or_
from audiencelang.sql.dialects import DialectProfile
from audiencelang.sql.physical import WORD_BITS, Decisions

__all__ = ["build_batch", "word_name"]


def word_name(i: int) -> str:
    return f"w_{i}"


class BatchBuilder(Builder):
    def packed_cte(self) -> exp.Select:
        """The single statement's ``packed`` (every packed test of a scan's row as one bit),
        but only the rows with a bit set: a member without rows in a scan reads every word
        as 0 (each bit is stored so that a profile without rows has it clear), so a row of
        zero words changes no OR-ed word and no member. A batch's narrow window passes
        (audiencelang.sql.batch_passes) return many such rows."""
        select = super().packed_cte()
        return select.where(or_([exp.NEQ(this=col(_word(i)), expression=num(0)) for i in range(self.words)]),
                            copy=False)

    def build_batch(self, memberships: Sequence[P.Cond], bit_or: bool) -> exp.Select:
        ctes, prev = self.fact_ctes()
        words: list[exp.Expr] = []
        for start in range(0, len(memberships), WORD_BITS):
            word: exp.Expr | None = None
            for bit, m in enumerate(memberships[start:start + WORD_BITS]):
                if bit_or:  # this row's bit: CASE WHEN m THEN 2^bit ELSE 0 END
                    term: exp.Expr = self.f(exp.Case, ifs=[self.f(exp.If, this=self.cond(m, None, None),
                                                                  true=num(1 << bit))], default=num(0))
                else:  # any of the id's rows: MAX(CASE WHEN m THEN 1 ELSE 0 END) * 2^bit
                    term = self.f(exp.Max, this=self.case01(self.cond(m, None, None)))
                    if bit:
                        term = exp.Mul(this=term, expression=num(1 << bit))
                word = term if word is None else exp.Add(this=word, expression=term)
            assert word is not None
            words.append(word)
        names = [word_name(i) for i in range(len(words))]
        if bit_or:
            # the rows' words, only the rows in some audience, then OR-ed per id
            ids = [col("member_id"), *([col("member_text")] if self.dec.binary_ids else [])]
            ctes.append(("batch_rows", exp.Select(
                expressions=[*ids, *(alias(w, n) for w, n in zip(words, names, strict=True))],
                **self._from(cte_ref(prev)),
            )))
            member_id, group = self.per_member("batch_rows")
            ctes.append(("batch_members", exp.Select(
                expressions=[member_id,
                             *(alias(self.f(exp.BitwiseOrAgg, this=col(n)), n) for n in names)],
                where=exp.Where(this=or_([exp.NEQ(this=col(n), expression=num(0)) for n in names])),
                group=group,
                **self._from(cte_ref("batch_rows")),
            )))
            final = exp.Select(expressions=[col("member_id"), *(col(n) for n in names)],
                               **self._from(cte_ref("batch_members")))
            return self.with_ctes(final, ctes)
        member_id, group = self.per_member(prev)
        ctes.append(("batch_members", exp.Select(
            expressions=[member_id, *(alias(w, word_name(i)) for i, w in enumerate(words))],
            group=group,
            **self._from(cte_ref(prev)),
        )))
        names = [word_name(i) for i in range(len(words))]
        final = exp.Select(
            expressions=[col("member_id"), *(col(n) for n in names)],
            where=exp.Where(this=or_([exp.NEQ(this=col(n), expression=num(0)) for n in names])),
            **self._from(cte_ref("batch_members")),
        )
        return self.with_ctes(final, ctes)


def build_batch(plan: P.Plan, memberships: Sequence[P.Cond], profile: DialectProfile,
                decisions: Decisions, bit_or: bool) -> tuple[exp.Select, list[exp.Func]]:
    """The batch statement of ``plan`` (its scans, consent and referenced audiences shared by
    every membership) and one node of every function it calls (for the allow-list check).
    Raises :class:`audiencelang.sql.build.BuildError`."""
    b = BatchBuilder(plan, profile, decisions)
    tree = b.build_batch(memberships, bit_or)
    return tree, list(b.functions.values())

"""The statement's own names (docs/sql.md, "The statement's own names"): a CTE named like a
table the statement reads would hide that table from the CTEs after it (and SQLite refuses a
CTE that reads a table of its own name), so when one does, every CTE is renamed under the
first free prefix ``al_``, ``al2_``, ... A pass over a built tree, apart from building it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlglot import exp

from audiencelang.sql import plan as P

__all__ = ["free_names", "plan_tables", "unhidden"]


def unhidden(tree: exp.Select, ctes: Sequence[str], plan: P.Plan) -> exp.Select:
    """``tree`` (a statement with the CTEs ``ctes`` reading ``plan``'s tables), its CTEs
    renamed where one would hide a table (:func:`free_names`); unchanged otherwise."""
    names = free_names(ctes, plan_tables(plan))
    if any(k != v for k, v in names.items()):
        _rename_ctes(tree, names)
    return tree


def plan_tables(plan: P.Plan) -> set[str]:
    """The names of the physical tables ``plan`` reads without a schema: only such a
    reference can resolve to a CTE of the same name (``legal.consent`` never does)."""
    tables = [plan.profiles.table]
    for s in plan.scans:
        tables += [st.table for st in s.steps] if isinstance(s, P.SequenceScan) else [s.table]
    if plan.consent is not None:
        tables.append(plan.consent.table)
    return {t[-1] for t in tables if len(t) == 1}


def _folds(name: str) -> set[str]:
    return {name.lower(), name.casefold()}


def free_names(names: Sequence[str], tables: Iterable[str]) -> dict[str, str]:
    """The name to write for each of ``names`` (a statement's own CTEs): the name itself
    when none of them equals, ignoring case, one of ``tables`` (the tables the statement
    reads: a CTE of that name would hide the table from the CTEs after it, and SQLite
    refuses a CTE that reads a table of its own name); otherwise every name with the first
    prefix of ``al_``, ``al2_``, ``al3_`` ... under which none does. Same input, same names."""
    taken: set[str] = set()
    for t in tables:
        taken |= _folds(t)

    def clash(candidates: Iterable[str]) -> bool:
        return any(_folds(n) & taken for n in candidates)

    if not clash(names):
        return {n: n for n in names}
    k = 1
    while True:
        prefix = "al_" if k == 1 else f"al{k}_"
        renamed = {n: prefix + n for n in names}
        if not clash(renamed.values()):
            return renamed
        k += 1


def _rename_ctes(tree: exp.Expr, names: dict[str, str]) -> None:
    """Rename the CTEs ``names`` maps in ``tree``: their definitions, every reference to
    them (a table without alias nor schema: :func:`cte_ref`) and every column qualified
    with them. Physical tables (always aliased: :func:`table_ref`) keep their names."""

    def rename(node: exp.Expr, key: str) -> None:
        old = node.args.get(key)
        if isinstance(old, exp.Identifier) and old.this in names:
            node.set(key, exp.Identifier(this=names[old.this], quoted=True))

    stack: list[exp.Expr] = [tree]
    while stack:
        node = stack.pop()
        for value in node.args.values():
            if isinstance(value, exp.Expr):
                stack.append(value)
            elif isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, exp.Expr))
        if isinstance(node, exp.CTE):
            rename(node.args["alias"], "this")
        elif isinstance(node, exp.Table) and node.args.get("alias") is None and node.args.get("db") is None:
            rename(node, "this")
        elif isinstance(node, exp.Column):
            rename(node, "table")

"""The reference evaluator as the library's non-raising API (issue 16: nothing raises).

:func:`audiencelang.eval.evaluate` and :func:`audiencelang.eval.explain` are the oracle of
the tests and raise (``TypeError`` for a non-datetime ``as_of``, ``DatasetError`` for a
value that does not fit its column, ``EvaluationError`` for an audience that was not
checked against the data's market). :func:`evaluate_members` and :func:`explain_member`
are the same computations returning a result with diagnostics instead: E903 for a bad
``as_of``, E650 for the rows, E651 for the audience, E502 for a destination the audience
does not activate, E900 for an argument of the wrong type::

    result = evaluate_members(checked, rows, as_of=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    if result.ok:
        print(sorted(result.members))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from audiencelang.arguments import returns_diagnostics
from audiencelang.check.checked import CheckedAudience
from audiencelang.diagnostics import Diagnostic, error
from audiencelang.eval.evaluator import (
    Dataset,
    EvaluationError,
    Explanation,
    MemberId,
    evaluate,
    explain,
    members_for_destination,
)
from audiencelang.eval.values import DatasetError

__all__ = ["Evaluation", "ExplainResult", "evaluate_members", "explain_member"]


@dataclass(frozen=True)
class Evaluation:
    """The members the reference evaluator finds (``None`` when it could not evaluate), and why not.

    ``members``: the member ids. With a ``destination``, ``rows`` holds the
    ``(member_id, identifier)`` rows compiled SQL returns for it (``()`` below the gate)."""

    members: frozenset[MemberId] | None
    rows: tuple[tuple[MemberId, object], ...] | None = None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.members is not None


@dataclass(frozen=True)
class ExplainResult:
    """Why a profile is in or out (``None`` when it could not be evaluated), and why not."""

    explanation: Explanation | None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def ok(self) -> bool:
        return self.explanation is not None


def _problem(exc: Exception, checked: CheckedAudience) -> Diagnostic:
    """The diagnostic for an exception the oracle raises for its inputs."""
    where = {"audience": checked.name, "market": checked.market.market}
    if isinstance(exc, DatasetError):
        return error("E650", f"the rows do not fit market {checked.market.market}: {exc}", None,
                     "give each column the Python type its market type reads (docs/eval.md)", **where)
    return error("E651", f"audience '{checked.name}' cannot be evaluated in market {checked.market.market}: {exc}",
                 None, "evaluate an audience checked against the data's market (check_audience)", **where)


def _no_members(d: Diagnostic, _: dict[str, object]) -> Evaluation:
    return Evaluation(None, None, (d,))


@returns_diagnostics(_no_members)
def evaluate_members(checked: CheckedAudience, data: Dataset, *, as_of: dt.datetime, destination: str | None = None,
                     ascii_case_folding: bool = False) -> Evaluation:
    """The members of ``checked`` over ``data`` at ``as_of`` (docs/eval.md), as an
    :class:`Evaluation`; with ``destination`` also its gated ``(member_id, identifier)`` rows.
    Never raises."""
    try:
        members = frozenset(evaluate(checked, data, as_of=as_of, ascii_case_folding=ascii_case_folding))
        rows: tuple[tuple[Any, object], ...] | None = None
        if destination is not None:
            if destination not in checked.destinations:
                activated = sorted(checked.destinations)
                return Evaluation(None, None, (error(
                    "E502", f"audience '{checked.name}' does not activate destination '{destination}'", None,
                    ("it activates: " + ", ".join(activated)) if activated
                    else f"add 'activate {destination}' to the audience",
                    audience=checked.name, market=checked.market.market),))
            rows = tuple(members_for_destination(checked, data, destination, as_of=as_of,
                                                 ascii_case_folding=ascii_case_folding))
    except (DatasetError, EvaluationError) as exc:
        return Evaluation(None, None, (_problem(exc, checked),))
    return Evaluation(members, rows)


@returns_diagnostics(lambda d, _: ExplainResult(None, (d,)))
def explain_member(checked: CheckedAudience, data: Dataset, profile_id: MemberId, *, as_of: dt.datetime,
                   ascii_case_folding: bool = False) -> ExplainResult:
    """Why ``profile_id`` is (or is not) a member of ``checked`` at ``as_of`` (docs/eval.md),
    as an :class:`ExplainResult`. A profile id that no row has gives ``found=False``. Never raises."""
    try:
        return ExplainResult(explain(checked, data, profile_id, as_of, ascii_case_folding=ascii_case_folding))
    except (DatasetError, EvaluationError) as exc:
        return ExplainResult(None, (_problem(exc, checked),))

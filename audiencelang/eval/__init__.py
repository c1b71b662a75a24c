"""The reference evaluator: what an audience means, computed in plain Python.

It implements docs/semantics.md literally (one profile, one condition at a time)
over in-memory rows, with no SQL. Tests hold every compiled dialect to it, and
:func:`explain` answers "why is this profile in or out". See docs/eval.md.

>>> from audiencelang.eval import evaluate, explain
>>> members = evaluate(checked, {"crm.kunden": [...], "shop.bestellungen": [...]},
...                    as_of=datetime(2024, 6, 1, tzinfo=UTC))  # doctest: +SKIP
"""

from audiencelang.eval.evaluator import (
    Dataset,
    EvaluationError,
    Explanation,
    ExplanationNode,
    MemberId,
    evaluate,
    explain,
    members_for_destination,
)
from audiencelang.eval.text import render_audience, render_expr
from audiencelang.eval.values import DatasetError, fold_case

__all__ = [
    "Dataset",
    "DatasetError",
    "EvaluationError",
    "Explanation",
    "ExplanationNode",
    "MemberId",
    "evaluate",
    "explain",
    "fold_case",
    "members_for_destination",
    "render_audience",
    "render_expr",
]

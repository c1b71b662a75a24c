"""Spec §8 "Behaviour over time" on one profile's occurrence times, in plain Python.

Pure functions over sorted lists of instants (aware UTC datetimes); the evaluator
selects the occurrences (event, ``where``, window, ``<= as_of``) and hands their
times here. Nothing clever: every function is the spec's sentence, checked by
brute force where that is the clearest way to say it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["SequenceMatch", "calendar_days", "match_sequence", "plus"]

UTC = dt.UTC


def plus(t: dt.datetime, d: dt.timedelta) -> dt.datetime | None:
    """``t + d``, or ``None`` when that lies beyond year 9999 (a wait that never ends)."""
    try:
        return t + d
    except OverflowError:
        return None


def calendar_days(times: Iterable[dt.datetime], zone: dt.tzinfo = UTC) -> set[dt.date]:
    """The calendar days (in ``zone``; UTC until markets name a time zone, spec §9) that
    hold at least one of ``times``: what `on ... N distinct days` counts."""
    return {t.astimezone(zone).date() for t in times}


@dataclass(frozen=True)
class SequenceMatch:
    """The outcome of :func:`match_sequence`.

    ``chain`` holds the times of the positive steps' occurrences that formed the
    sequence (one per positive step), or, when it does not hold, the longest chain
    found (possibly empty): ``len(chain)`` steps happened in order. With an absent
    last step, ``wait_end`` is ``t(e(k-1)) + Dk`` of the chain shown and ``cancelled_by``
    the first occurrence of the absent step inside the wait, if one cancelled it."""

    holds: bool
    chain: tuple[dt.datetime, ...]
    wait_end: dt.datetime | None = None
    cancelled_by: dt.datetime | None = None


def match_sequence(
    positive: Sequence[Sequence[dt.datetime]],
    within: Sequence[dt.timedelta | None],
    as_of: dt.datetime,
    absent: Sequence[dt.datetime] | None = None,
    wait: dt.timedelta | None = None,
) -> SequenceMatch:
    """Whether occurrences e1 < e2 < ... < ek of the positive steps exist (strictly later,
    ``t(ei) - t(e(i-1)) <= within[i]`` where given), and, with an absent last step
    (``absent`` times and its ``wait``), whether for some such e(k-1) no absent
    occurrence has ``t(e(k-1)) <= t <= t(e(k-1)) + wait`` and ``t(e(k-1)) + wait <= as_of``.

    ``positive[i]`` are the times of step i's occurrences (already filtered by event,
    ``where``, window and ``<= as_of``); ``within[0]`` is ignored.

    Dynamic programming over the steps: ``reach[i][j]`` is the index of the latest
    occurrence of step i-1 that occurrence j of step i can follow (``None`` when none
    can), so the chain shown is the one ending earliest (positive) or the latest
    abandoned one (absent), each formed by the closest earlier occurrences.
    """
    steps = [sorted(s) for s in positive]
    if not steps:
        raise ValueError("a sequence has at least one positive step")
    # reachable[i]: indices j of step i's occurrences that end some valid chain e1..ei
    reachable: list[list[int]] = [list(range(len(steps[0])))]
    back: list[dict[int, int]] = [{}]
    for i in range(1, len(steps)):
        limit = within[i] if i < len(within) else None
        here: list[int] = []
        links: dict[int, int] = {}
        for j, t in enumerate(steps[i]):
            best: int | None = None
            for p in reachable[i - 1]:
                pt = steps[i - 1][p]
                follows = pt < t and (limit is None or t - pt <= limit)
                if follows and (best is None or pt > steps[i - 1][best]):
                    best = p
            if best is not None:
                here.append(j)
                links[j] = best
        reachable.append(here)
        back.append(links)

    def chain_to(i: int, j: int) -> tuple[dt.datetime, ...]:
        out = [steps[i][j]]
        while i > 0:
            j = back[i][j]
            i -= 1
            out.append(steps[i][j])
        return tuple(reversed(out))

    last = len(steps) - 1
    depth = max((i for i in range(len(steps)) if reachable[i]), default=-1)
    if depth < last:  # the positive steps never happened in order
        return SequenceMatch(False, chain_to(depth, reachable[depth][0]) if depth >= 0 else ())
    if absent is None:
        first_end = min(reachable[last], key=lambda j: steps[last][j])
        return SequenceMatch(True, chain_to(last, first_end))
    if wait is None:
        raise ValueError("an absent step needs its wait (within)")
    shown: SequenceMatch | None = None
    for j in sorted(reachable[last], key=lambda j: steps[last][j], reverse=True):
        start = steps[last][j]
        end = plus(start, wait)
        cancel = None if end is None else next((a for a in sorted(absent) if start <= a <= end), None)
        passed = end is not None and end <= as_of
        if passed and cancel is None:
            return SequenceMatch(True, chain_to(last, j), end)
        if shown is None:  # why the latest start did not hold
            shown = SequenceMatch(False, chain_to(last, j), end, cancel)
    assert shown is not None
    return shown

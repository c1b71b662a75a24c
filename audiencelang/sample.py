"""Stable random samples (spec §10): the bucket of a profile id under a salt.

A profile's bucket is the first 8 hex digits of the lower-case hex MD5 of the
UTF-8 text ``SALT:ID``, read as an unsigned 32-bit number, modulo 10000. ``ID`` is
the profile id as text: integers in plain decimal (``-5``, ``0``,
``9223372036854775807``), strings as stored. ``in sample P% salt "S"`` holds when
the bucket is below ``P * 100``. The evaluator uses this function and the SQL of
every dialect computes the same number (docs/semantics.md, "Samples").
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

__all__ = ["BUCKETS", "id_text", "sample_bucket", "sample_threshold"]

#: Buckets are 0 … 9999: a percentage with two decimals selects a whole number of them.
BUCKETS = 10_000


def id_text(member_id: int | str) -> str:
    """The text an id is hashed as: an integer in plain decimal, a string as stored."""
    if isinstance(member_id, bool):
        raise TypeError("a profile id is an integer or a string, not a boolean")
    if isinstance(member_id, int):
        return str(int(member_id))
    if isinstance(member_id, str):
        return member_id
    raise TypeError(f"a profile id is an integer or a string, not {type(member_id).__name__}")


def sample_bucket(salt: str, member_id: int | str) -> int:
    """The bucket (0 … 9999) of ``member_id`` under ``salt``; the same number every dialect computes.

    >>> sample_bucket("q4_holdout", 42)
    8135

    A pure value function, like :func:`hashlib.md5`: a salt that is not a ``str`` or an id
    that is neither ``int`` nor ``str`` (a ``bool``, ``None``, a float) raises ``TypeError``
    (docs/api.md, "Errors: nothing raises"); it returns no diagnostics.
    """
    if not isinstance(salt, str):
        raise TypeError(f"a sample salt is a string, not {type(salt).__name__}")
    digest = hashlib.md5(f"{salt}:{id_text(member_id)}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % BUCKETS


def sample_threshold(percent: Decimal) -> int:
    """The number of buckets ``in sample P%`` keeps: ``P * 100`` (P has at most two decimals)."""
    return int(percent * 100)

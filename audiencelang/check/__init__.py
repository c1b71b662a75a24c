"""Checking: name resolution, types, policy and lint rules -> diagnostics."""

from audiencelang.check.checked import CheckedAudience

__all__ = ["CheckedAudience"]

"""Arguments of public functions: a wrong one is a diagnostic in the result, never an exception.

:func:`returns_diagnostics` wraps a public function: it checks each argument against the
function's annotations (classes, ``X | None``, ``Literal``, containers by their outer
type) and, when one does not fit, returns the function's own error result with an E900
diagnostic (E903 for ``as_of``) instead of calling it. An exception that escapes the
function anyway (a bug) comes back the same way, as an internal-error diagnostic::

    @returns_diagnostics(lambda d, args: CompileResult(None, (d,)))
    def compile_sql(project: Project, audience: str, ...) -> CompileResult: ...
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import functools
import inspect
import os
import types
import typing
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from audiencelang.diagnostics import Diagnostic, error

__all__ = ["argument_problem", "returns_diagnostics"]

P = ParamSpec("P")
R = TypeVar("R")

_ABSTRACT = {
    collections.abc.Sequence: (list, tuple),
    collections.abc.Iterable: (collections.abc.Iterable,),
    collections.abc.Mapping: (collections.abc.Mapping,),
}


def _fits(value: object, hint: object) -> bool:
    """Does ``value`` fit the annotation ``hint`` (outer types only for containers)?"""
    if hint is Any or hint is object:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if origin is typing.Annotated:
        return _fits(value, typing.get_args(hint)[0])
    if hint is None or hint is type(None):
        return value is None
    if origin is not None:
        hint = origin
    if hint in _ABSTRACT:
        if isinstance(value, (str, bytes)) and hint is not collections.abc.Mapping:
            return False  # a text where names were meant would be taken letter by letter
        return isinstance(value, _ABSTRACT[hint])
    if hint is os.PathLike:
        return isinstance(value, os.PathLike)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        if hint is dt.date:
            return isinstance(value, dt.date)
        return isinstance(value, hint)
    return True  # an annotation this checker has no rule for: let the function decide


def _describe(value: object) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:40] + '...' if len(text) > 40 else text}"


def argument_problem(func: Callable[..., object], args: tuple[object, ...], kwargs: dict[str, object]) -> Diagnostic | None:
    """The first argument of a call that does not fit ``func``'s annotations, as a diagnostic."""
    sig, hints = _signature(func)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        return error("E900", f"{func.__name__}(): {exc}", None, f"the signature is {func.__name__}{sig}")
    for name, value in bound.arguments.items():
        hint = hints.get(name)
        if hint is None or _fits(value, hint):
            continue
        if name == "as_of":
            return error("E903", f"{func.__name__}(): as_of must be a datetime (aware, or naive meaning UTC), "
                         f"not {_describe(value)}", None,
                         "audiencelang.sql.parse_as_of('2026-11-01') turns a date or timestamp text into one")
        want = getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
        return error("E900", f"{func.__name__}(): argument '{name}' must be {want}, not {_describe(value)}", None)
    return None


def _given(func: Callable[..., object], args: tuple[object, ...], kwargs: dict[str, object]) -> dict[str, object]:
    try:
        return dict(_signature(func)[0].bind_partial(*args, **kwargs).arguments)
    except TypeError:
        return {}


def _public_names(func: Callable[..., object] | None = None) -> dict[str, object]:
    """Names the public signatures use under ``TYPE_CHECKING`` only, to resolve them (those
    ``func``'s annotations mention: no engine library is imported to check a call of
    ``load_project``)."""
    import pathlib

    names: dict[str, object] = {"Path": pathlib.Path, "dt": dt}
    said = " ".join(str(a) for a in getattr(func, "__annotations__", {}).values()) if func is not None else None
    for module, attrs in (("audiencelang.project", ("Project",)), ("audiencelang.check", ("CheckedAudience",)),
                          ("audiencelang.run.engines", ("Engine",)), ("audiencelang.schema.market", ("Market",)),
                          ("audiencelang.schema.config", ("ProjectConfig",))):
        if said is not None and not any(a in said for a in attrs):
            continue
        try:
            mod = __import__(module, fromlist=list(attrs))
        except ImportError:  # an optional engine library is missing: leave those unchecked
            continue
        names.update({a: getattr(mod, a) for a in attrs})
    return names


@functools.cache
def _signature(func: Callable[..., object]) -> tuple[inspect.Signature, dict[str, object]]:
    try:
        hints = typing.get_type_hints(func, localns=_public_names(func))
    except Exception:  # an annotation that cannot be resolved: check nothing
        hints = {}
    return inspect.signature(func), hints


def returns_diagnostics(on_error: Callable[[Diagnostic, dict[str, object]], R]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Wrap a public function so that bad arguments and escaping exceptions come back as
    ``on_error(diagnostic, arguments)``, its error result (``arguments``: those given, by name)."""

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            problem = argument_problem(func, args, kwargs)
            if problem is not None:
                return on_error(problem, _given(func, args, kwargs))
            try:
                return func(*args, **kwargs)
            except RecursionError:
                return on_error(error("E900", f"{func.__name__}(): the input is nested too deeply", None),
                                _given(func, args, kwargs))
            except Exception as exc:  # a bug must come back as a diagnostic, not a traceback
                return on_error(error("E900", f"internal error in {func.__name__}(): {type(exc).__name__}: {exc}",
                                      None, "this is a bug in audiencelang; please report it"),
                                _given(func, args, kwargs))

        return guarded

    return wrap

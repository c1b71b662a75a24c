"""Deliveries: an audience handed to a destination as a change over time (spec §11).

::

    from audiencelang.deliver import connect, deliver, deliver_all, history

See docs/deliver.md. Imported lazily, so ``audiencelang --version`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audiencelang.deliver.core import DeliveryResult as DeliveryResult
    from audiencelang.deliver.core import deliver as deliver
    from audiencelang.deliver.core import deliver_all as deliver_all
    from audiencelang.deliver.core import history as history
    from audiencelang.deliver.store import LAYOUT_VERSION as LAYOUT_VERSION
    from audiencelang.deliver.store import DeliveryRow as DeliveryRow
    from audiencelang.deliver.store import connect as connect

_LAZY = {
    "DeliveryResult": "audiencelang.deliver.core",
    "deliver": "audiencelang.deliver.core",
    "deliver_all": "audiencelang.deliver.core",
    "history": "audiencelang.deliver.core",
    "LAYOUT_VERSION": "audiencelang.deliver.store",
    "DeliveryRow": "audiencelang.deliver.store",
    "connect": "audiencelang.deliver.store",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'audiencelang.deliver' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

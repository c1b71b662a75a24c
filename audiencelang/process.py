"""What the library may do to the process it runs in: nothing, unless the caller opts in.

An embedder's process is its own: by default audiencelang never switches the cyclic
garbage collector off, never starts worker processes and never writes a file the
caller did not name. The command line owns its process and opts in to all three for
speed (:func:`opt_in` in ``audiencelang.cli.main``)::

    import audiencelang.process
    audiencelang.process.opt_in(gc_pause=True, worker_processes=True, grammar_cache=True)

* ``gc_pause``: the collector is off during a check or compile pass
  (:mod:`audiencelang.gcpause`; linear time on very large audiences). Process-wide:
  other threads run without the collector meanwhile.
* ``worker_processes``: projects of 200+ audience files are parsed in forked worker
  processes (:func:`audiencelang.syntax.parse_files`); a whole-project ``check`` also
  checks each audience on its own there (:func:`audiencelang.check.check_alone`).
* ``grammar_cache``: the analysed grammar is kept in ``$XDG_CACHE_HOME/audiencelang``
  (default ``~/.cache/audiencelang``) and loaded from there by later processes (saves
  0.2-0.6 s on the first parse of a process).

The settings are read when used; set them once, before the first call.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Options", "opt_in", "options"]


@dataclass
class Options:
    gc_pause: bool = False
    worker_processes: bool = False
    grammar_cache: bool = False


#: The current settings (all off in a library; the CLI turns them on).
options = Options()


def opt_in(*, gc_pause: bool | None = None, worker_processes: bool | None = None,
           grammar_cache: bool | None = None) -> Options:
    """Allow (``True``) or forbid (``False``) each process-wide effect; ``None`` leaves
    it as it is. Returns the settings now in force."""
    if gc_pause is not None:
        options.gc_pause = bool(gc_pause)
    if worker_processes is not None:
        options.worker_processes = bool(worker_processes)
    if grammar_cache is not None:
        options.grammar_cache = bool(grammar_cache)
    return options

"""``mlsys-bib``: build, resolve, check, stats, status, verify.

Exit codes: 0 success; 1 the list has errors (``check``) or a build step failed; 2 bad usage
or unreadable input; 130 interrupted. Errors are one line on stderr naming the file, line or
identifier; tracebacks are for bugs only.

The grammar is in :mod:`.options`, the shared output in :mod:`.messages`, and the commands in
one module per group: :mod:`.pipeline` (build, resolve, serve), :mod:`.lint` (check, stats),
:mod:`.status` and :mod:`.verify`. This module runs one and turns its failures into exit codes.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from .lint import cmd_check, cmd_stats
from .messages import MAX_MESSAGE, err, one_line, service_problems
from .options import parser
from .pipeline import cmd_build, cmd_resolve, cmd_serve
from .status import cmd_status
from .verify import cmd_verify

__all__ = ["COMMANDS", "MAX_MESSAGE", "main", "one_line", "service_problems"]

#: The commands that hold a whole list's records and metadata: glibc's malloc is told to return
#: what they free (:mod:`.allocator`). The others start faster without loading ctypes.
_HOLD_A_LIST = {"build", "resolve", "serve", "verify"}

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "build": cmd_build,
    "serve": cmd_serve,
    "resolve": cmd_resolve,
    "check": cmd_check,
    "stats": cmd_stats,
    "status": cmd_status,
    "verify": cmd_verify,
}


class _Terminated(BaseException):
    """SIGTERM or SIGHUP: unwound like Ctrl-C (cache transactions roll back, temporaries go)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, _frame: object) -> None:
    raise _Terminated(signum)


def _install_signal_handlers() -> None:
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return  # handlers can only be set from the main thread (mlsys_bib.cli.main in a test)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _on_signal)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _install_signal_handlers()
    if args.command in _HOLD_A_LIST:
        from .allocator import fix_mmap_threshold

        fix_mmap_threshold()
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        err("interrupted; the cache and the exports are intact (rerun to continue)")
        return 130
    except _Terminated as stop:
        import signal

        name = signal.Signals(stop.signum).name
        err(f"stopped by {name}; the cache and the exports are intact (rerun to continue)")
        sys.stdout.flush()
        sys.stderr.flush()
        # A worker thread may sit in a socket read for up to the timeout; whoever sent the signal
        # wants the process gone now. The build has unwound (exports are replaced atomically,
        # SQLite rolls back an open transaction), so nothing is left half-written.
        os._exit(128 + stop.signum)
    except BrokenPipeError:
        # `mlsys-bib stats | head`: the reader left; say nothing more, like other Unix tools.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        if not isinstance(exc, _user_errors()):
            raise
        err(str(exc))
        lists, build = sys.modules.get("mlsys_bib.lists"), sys.modules.get("mlsys_bib.build")
        refused = tuple(getattr(m, n) for m, n in ((lists, "EmptyListError"), (build, "ShrinkError")) if m)
        return 1 if isinstance(exc, refused) else 2


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors that end a command with one line: OSError, ValueError and, when the cache or
    HTTP module was loaded at all, its CacheError or ServiceError. Looked up, not imported:
    ``check``, ``stats`` and ``status`` never open the cache, and ``--help`` should not pay for
    SQLite and requests."""
    cache = sys.modules.get("mlsys_bib.net.cache")
    answers = sys.modules.get("mlsys_bib.net.response")  # e.g. `check --list URL` that cannot be fetched
    loaded = [m for m in ((cache, "CacheError"), (answers, "ServiceError")) if m[0] is not None]
    return (OSError, ValueError, *(getattr(module, name) for module, name in loaded))

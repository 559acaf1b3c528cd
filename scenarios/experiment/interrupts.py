"""SIGTERM and SIGHUP end a command as Ctrl-C does: an exception in the command's process, so the
results folder's clean-up runs and the failure is recorded, instead of the process dying mid-write.

`stopping_cleanly()` installs that for the life of a command (main thread only; the previous handlers
come back after, which matters when a test runner invokes commands in its own process). A process
forked meanwhile takes the stop signals as it takes Ctrl-C (KeyboardInterrupt: `Interrupted` cannot
be unpickled), and a pool's worker (`--workers`) only during a job, which the pool then sends back as
the job's result; between jobs it leaves them to the command. Not the default either: workers killed
while the command cancelled their work left Python 3.11's pool printing a traceback or hanging the
command at shutdown when a whole process group was signalled (`timeout`, systemd, a closed terminal).

Python only prints an exception raised where it cannot propagate: a signal that lands while a pool
forks its workers is handled inside the fork's callbacks (logging's, for one), and the run went on.
So a received signal is remembered, and `raise_if_stopped()` raises it again: after each replication,
before results are published, and when the command ends (the lost raise is not printed: it is not lost).
"""
from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
INTERRUPTS = (signal.SIGINT, *STOP_SIGNALS)
PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies  # and Ctrl-C: what signals_held and a pool's worker swap

_before: dict = {}  # while a command runs: each stop signal's handler before ours
_received: list[int] = []  # the stop signals received meanwhile


class Interrupted(SystemExit):
    """A stop signal received by the command: exits 128 + its number, as a shell reports a command the
    signal killed, after the clean-ups (`finally`, `except BaseException`) have run."""

    def __init__(self, signum: int):
        super().__init__(128 + signum)
        self.signal_name = signal.Signals(signum).name


def _raise(signum, frame):
    _received.append(signum)
    raise Interrupted(signum)


def raise_if_stopped() -> None:
    """Raise `Interrupted` if a stop signal came while a command runs, in case its first raise was lost."""
    if _received:
        raise Interrupted(_received[0])


@contextmanager
def stopping_cleanly() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `Interrupted` in this process while the context lasts."""
    if threading.current_thread() is not threading.main_thread() or _before:
        yield  # handlers can only be set from the main thread; nested: already installed
        return
    _before.update({number: signal.signal(number, _raise) for number in STOP_SIGNALS})
    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None if isinstance(unraisable.exc_value, Interrupted) else hook(unraisable)
    try:
        yield
        raise_if_stopped()
    finally:
        sys.unraisablehook = hook
        _put_back()
        _received.clear()


def _put_back() -> None:
    _restore(_before)
    _before.clear()


def _swap(handler) -> dict:
    """`handler` for every signal in INTERRUPTS; returns the handlers it replaced."""
    return {number: signal.signal(number, handler) for number in INTERRUPTS}


def _restore(handlers: dict) -> None:
    for number, handler in handlers.items():
        signal.signal(number, signal.SIG_DFL if handler is None else handler)  # None: set outside Python


@contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C and the stop signals wait while the context lasts (a folder swapped in, a failure
    recorded, so neither is left half done); they arrive right after. Held by swapping their handlers,
    not by the signal mask: a mask holds only the thread that sets it, and a signal sent to the process
    then goes to another thread (tqdm's monitor, a BLAS pool), after which Python runs the handler in
    the main thread all the same."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be swapped from the main thread (and only it runs them)
        return
    came: list[int] = []
    previous = _swap(lambda signum, frame: came.append(signum))
    try:
        yield
    finally:
        _restore(previous)
        if came:
            signal.raise_signal(came[0])  # now handled as it would have been


def leave_interrupts_to_the_command() -> None:
    """In a pool's worker between jobs: Ctrl-C and the stop signals are left to the command (the
    process group gets them too). Interrupted while it waits on the pool's queues, a worker dies
    holding them, and the pool (Python 3.11's, at least) hung the command at shutdown. A worker whose
    command is gone (killed outright) has nobody to leave them to: it exits; and on Linux the kernel
    tells it so (`_die_with_the_command`)."""
    _swap(_unless_orphaned(os.getppid(), lambda signum: None))
    _die_with_the_command()


def _unless_orphaned(command: int, otherwise):
    """A handler: exit if this worker's command is gone, else `otherwise(signum)`."""
    def handler(signum, frame):
        if os.getppid() != command:
            os._exit(128 + signum)
        otherwise(signum)
    return handler


def _die_with_the_command() -> None:
    """Linux: SIGTERM to this worker when its command dies, however it died (SIGKILL, the OOM killer).
    Forked, the workers hold the pool's own pipe ends, so they never see them close: orphaned, they
    waited for the next job for ever."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes  # only in workers, only here
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return


@contextmanager
def interruptible_job() -> Iterator[None]:
    """In a pool's worker, during one job: Ctrl-C and the stop signals raise KeyboardInterrupt, which
    the pool sends back as the job's result, so the command stops even if only the worker was told
    (and an orphaned worker exits: nobody would read that result)."""
    between = _swap(_unless_orphaned(os.getppid(), _keyboard_interrupt))
    try:
        yield
    finally:
        _restore(between)


def _keyboard_interrupt(signum: int) -> None:
    raise KeyboardInterrupt


def _in_forked_worker() -> None:
    """In a process forked while a command runs: the stop signals act as Ctrl-C (see the module's doc)."""
    if _before:
        _before.clear()
        for number in STOP_SIGNALS:
            signal.signal(number, signal.default_int_handler)
    _received.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_forked_worker)

"""Files written whole, and what a writer killed outright left behind found again.

A file is written to a temporary beside it, `.<name>.<pid>.partial`, and renamed over it, so a reader
never sees half of it. The temporary (and a staging folder, `.<name>.<pid>.<random>.partial`) names the
writing process, so the next writer of the same target removes what a process killed outright (SIGKILL,
a power cut) left, once that process is gone, and never touches a running one's. Liveness is asked of
this machine's processes: on a folder shared between machines or containers, another one's run in
progress looks gone, so give concurrent runs their own folders there.

Here, below `scenarios`, because the calibration profile is written this way too and `calibration` may
not import `scenarios`; the results folders and report.html use it from there. Standard library only:
`helpdesk-sim run` imports it on its way to the results folder, and must stay quick to start.
"""
from __future__ import annotations

import glob
import os
from pathlib import Path

PARTIAL = ".partial"


def write_atomically(path: Path, text: str) -> Path:
    """`text` written beside `path` and renamed over it; a dead writer's temporary is swept first,
    and this one's removed if the write fails (or is interrupted)."""
    path = Path(path)
    for stale in left_by_dead_processes(path.parent, f".{path.name}.", PARTIAL):
        stale.unlink(missing_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}{PARTIAL}")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def left_by_dead_processes(folder: Path, prefix: str, suffix: str, *, folders: bool = False,
                           random: bool = False) -> list[Path]:
    """Entries `<prefix><pid><suffix>` in `folder` whose process no longer runs: files, or `folders`;
    with `random`, `<prefix><pid>.<random><suffix>` (mkdtemp's). Only that shape and kind:
    `.report.2024.<pid>.partial` is the live temporary of a file named `report.2024`, not a leftover
    of `report` by process 2024. Called before the caller makes its own entry for the target, so one
    bearing the caller's own pid is a former process's that had the same id (every container's first
    process is pid 1): it is swept too."""
    found = []
    for path in Path(folder).glob(glob.escape(prefix) + "*" + suffix):
        pid, dot, rest = path.name[len(prefix):len(path.name) - len(suffix)].partition(".")
        shaped = (bool(dot) and rest != "" and "." not in rest) if random else not dot
        if shaped and path.is_dir() == folders and _a_pid(pid) and (int(pid) == os.getpid() or not _running(int(pid))):
            found.append(path)
    return found


def _a_pid(text: str) -> bool:
    """Decimal ASCII digits in a pid's range (`str.isdigit` takes '²', and os.kill overflows)."""
    return text.isascii() and text.isdecimal() and len(text) <= 10 and int(text) < 2 ** 31


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True

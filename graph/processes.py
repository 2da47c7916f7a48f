"""The operating-system side of the embedded server: is a process alive, is it the same process that was
recorded (not a later one given the same pid), how much CPU has it used, waiting for it to exit, signalling
it. Linux reads /proc; elsewhere `ps` answers. Split from graph/embedded.py, which starts and stops servers.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = [
    "POLL",
    "cpu_time",
    "is_zombie",
    "kill",
    "own_children",
    "pid_alive",
    "process_field",
    "process_identity",
    "same_process",
    "wait_exit",
]

POLL = 0.05  # seconds between two looks at a process

# Servers this process started: polled to reap them, so a dead child is not mistaken for a live zombie.
_children: dict[int, subprocess.Popen[bytes]] = {}
_children_pid = os.getpid()  # after a fork these are no longer our children


def own_children() -> dict[int, subprocess.Popen[bytes]]:
    global _children_pid
    if os.getpid() != _children_pid:
        _children.clear()
        _children_pid = os.getpid()
    return _children


def process_field(pid: int, stat_index: int, ps_keyword: str) -> str | None:
    """One field of a process's status: /proc/<pid>/stat (counted after "pid (comm)") on Linux, ps
    elsewhere."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        return raw[raw.rindex(")") + 2 :].split()[stat_index]
    except (OSError, ValueError, IndexError):
        if sys.platform == "linux":
            return None
    try:
        out = subprocess.run(
            ["ps", "-o", f"{ps_keyword}=", "-p", str(pid)],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return out or None


def process_identity(pid: int) -> str | None:
    """The process's start time, which differs between a process and a later one given the same pid."""
    started = process_field(pid, 19, "lstart")  # stat field 22, starttime
    return None if started is None else f"start:{started}"


def pid_alive(pid: int) -> bool:
    """True while pid runs; a zombie counts as dead (we reap only children we started ourselves)."""
    children = own_children()
    proc = children.get(pid)
    if proc is not None:
        if proc.poll() is not None:
            del children[pid]
            return False
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not is_zombie(pid)


def cpu_time(pid: int) -> str | None:
    """The process's CPU time so far (opaque; it changes while the process works): utime+stime, or ps's
    TIME."""
    if sys.platform == "linux":
        utime, stime = process_field(pid, 11, "time"), process_field(pid, 12, "time")
        return None if utime is None or stime is None else f"{utime}+{stime}"
    return process_field(pid, 0, "time")


def is_zombie(pid: int) -> bool:
    state = process_field(pid, 0, "stat")  # stat field 3, state
    return state is not None and state.startswith(("Z", "X"))


def same_process(pid: int, identity: str | None) -> bool:
    """True when pid is alive and is the very process that was recorded (not a reuse of its pid)."""
    return identity is not None and pid_alive(pid) and process_identity(pid) == identity


def wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL)
    return True


def kill(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)

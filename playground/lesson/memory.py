"""Handing freed memory back to the system once a class has left.

CPython frees a closed tab's objects at once, but the pages they sat on stay
with the process (glibc keeps freed heap for reuse), so a server's memory
looked as full an hour after class as during it. `malloc_trim(0)` returns
what is free at the top and in the middle of glibc's heaps.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
from collections.abc import Callable


def _malloc_trim() -> Callable[[], object]:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        return lambda: None
    return lambda: trim(0)


_TRIM = _malloc_trim()


def give_back() -> None:
    """Collect cycles, then return the free heap pages to the system."""
    gc.collect()
    _TRIM()


def resident() -> int:
    """This process's resident memory, in bytes (0 where /proc is absent)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0

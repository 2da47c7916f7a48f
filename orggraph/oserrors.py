"""What a failed file write means for the user: a full disk is told apart from every other OSError.

Each module that writes files turns an OSError into its own error with a Chinese message (BackupError,
ExportError, LoadError); this is the one test they share for "the disk is full, free space and run it again".
"""

from __future__ import annotations

import errno

__all__ = ["disk_full"]

# No space left, a disk quota, or a file-size limit (RLIMIT_FSIZE, or a file system's largest file).
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def disk_full(e: OSError) -> bool:
    """True when the write failed for want of room (the fix is to free space), not for a path or a
    permission."""
    return e.errno in _FULL

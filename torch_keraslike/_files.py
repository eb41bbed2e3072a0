"""Atomic file writes: a temporary file in the destination's folder, then a rename.

A process killed mid-write (power loss, SIGKILL, an exception) leaves the previous
file intact: readers see either the old file or the complete new one, never a
truncated mix. The temporary file lives beside the destination (``.<name>.<random>.tmp``)
so the final ``os.replace`` is a rename within one filesystem, which is atomic.

Example:
    >>> import os, tempfile
    >>> from torch_keraslike._files import atomic_path
    >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
    >>> with atomic_path(target) as tmp:
    ...     with open(tmp, "w") as handle:
    ...         _ = handle.write("complete")
    >>> with open(target) as handle:
    ...     handle.read()
    'complete'
"""

import contextlib
import os
import tempfile

__all__ = ["atomic_path", "fsync_directory"]


def fsync_directory(directory):
    """Flushes a folder's entry table, so a rename in it survives a power loss."""
    try:
        fd = os.open(directory or ".", os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path; when the body succeeds it replaces ``path`` atomically.

    The body writes the whole file to the yielded path (with any writer that takes a
    path: ``safetensors``, ``torch.save``, ``open``). Its data is flushed to disk before
    the rename. If the body raises, the temporary file is removed and ``path`` is left
    as it was.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    fsync_directory(directory)

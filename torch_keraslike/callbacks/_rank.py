"""One writer per job: under ``torch.distributed`` only rank 0 writes files and prints.

The hooks of every process still run (so they keep the same state and take part in
the collectives that gather a sharded model's weights); what touches the disk or the
console is skipped on the other ranks.

Example:
    >>> from torch_keraslike.callbacks._rank import primary_only
    >>> @primary_only
    ... def write(path):
    ...     return "written"
    >>> write("x")   # a single process is rank 0
    'written'
"""

import functools

from .._distributed_env import is_primary

__all__ = ["is_primary", "primary_only", "say"]


def primary_only(method):
    """Runs ``method`` on rank 0 only (it returns None elsewhere)."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        if is_primary():
            return method(*args, **kwargs)
        return None

    return wrapper


def say(*args, **kwargs):
    """``print`` on rank 0 only."""
    if is_primary():
        print(*args, **kwargs)

"""Snapshots of a module tree, so that a failed ``build`` or load leaves no trace.

A snapshot is taken of every module in the tree: a shallow copy of its ``__dict__``
and of every container in it (torch's registries of parameters, buffers, children and
hooks, and the layer's own bookkeeping: weight options, weight ids, losses). Restoring
puts back exactly those objects and contents, dropping anything created since.
Containers are restored in place, because other objects hold references to them
(hook handles hold torch's hook dicts).
"""

import contextlib


def _restore_container(container, contents):
    if isinstance(container, list):
        container[:] = contents
    else:
        container.clear()
        container.update(contents)


def snapshot(root):
    saved = []
    for module in root.modules():
        state = dict(module.__dict__)
        inner = [(value, value.copy()) for value in state.values() if isinstance(value, (dict, list, set))]
        saved.append((module, state, inner))
    return saved


def restore(saved):
    for module, state, inner in saved:
        module.__dict__.clear()
        module.__dict__.update(state)
        for container, contents in inner:
            _restore_container(container, contents)


@contextlib.contextmanager
def restored_on_error(root):
    """Runs the body; if it raises, the module tree is put back as it was."""
    saved = snapshot(root)
    try:
        yield
    except BaseException:
        restore(saved)
        raise

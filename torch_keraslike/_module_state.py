"""Snapshots of a module tree, so that a failed ``build`` or load leaves no trace.

A snapshot is taken of every module in the tree: a shallow copy of its ``__dict__``
and of the registries torch mutates in place (parameters, buffers, children, hooks).
Restoring puts back exactly those objects, dropping anything created since.
"""

import contextlib

_INNER_DICTS = (
    "_parameters",
    "_buffers",
    "_modules",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks",
)


def snapshot(root):
    saved = []
    for module in root.modules():
        state = dict(module.__dict__)
        # The registries are restored in place: hook handles hold references to them.
        inner = [(state[key], state[key].copy()) for key in _INNER_DICTS if key in state]
        if "_non_persistent_buffers_set" in state:
            persistent = state["_non_persistent_buffers_set"]
            inner.append((persistent, set(persistent)))
        saved.append((module, state, inner))
    return saved


def restore(saved):
    for module, state, inner in saved:
        module.__dict__.clear()
        module.__dict__.update(state)
        for registry, contents in inner:
            registry.clear()
            registry.update(contents)


@contextlib.contextmanager
def restored_on_error(root):
    """Runs the body; if it raises, the module tree is put back as it was."""
    saved = snapshot(root)
    try:
        yield
    except BaseException:
        restore(saved)
        raise

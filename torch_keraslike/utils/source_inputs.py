"""``get_source_inputs``: the ``Input`` tensors a symbolic tensor was computed from."""

from ..symbolic import KerasTensor, flatten

__all__ = ["get_source_inputs"]


def get_source_inputs(tensor):
    """Returns the list of ``tkl.Input`` tensors needed to compute ``tensor``.

    Args:
        tensor: a ``KerasTensor`` (anything else is returned unchanged).

    Returns:
        A list of ``KerasTensor``s, in the order the graph first reaches them, each once.

    Example:
        >>> import torch_keraslike as tkl
        >>> a, b = tkl.Input((2,), name="a"), tkl.Input((2,), name="b")
        >>> y = tkl.layers.Dense(1)(tkl.layers.Add()([a, b]))
        >>> [t.name for t in get_source_inputs(y)]
        ['a', 'b']
    """
    if not isinstance(tensor, KerasTensor):
        return tensor
    if tensor._history is None:
        return [tensor]
    sources, seen_tensors, done = [], set(), set()
    # Depth-first over producing nodes, parents in call order (no recursion: graphs can be
    # deeper than Python's recursion limit).
    stack = [tensor._history[0]]
    while stack:
        node = stack.pop()
        if id(node) in done:
            continue
        done.add(id(node))
        if not node.parents:  # an Input's node (or a call on constants only): a source
            for out in flatten(node.outputs):
                if id(out) not in seen_tensors:
                    seen_tensors.add(id(out))
                    sources.append(out)
            continue
        stack.extend(parent._history[0] for parent in reversed(node.parents)
                     if parent._history is not None)
    return sources

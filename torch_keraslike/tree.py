"""``keras.tree``: utilities for nested structures (lists, tuples, namedtuples, dicts)
of tensors and other leaves, on torch's own pytree machinery (as Keras's torch backend
does), so any type registered with ``torch.utils._pytree`` is a structure too.

Dicts are visited in sorted key order (Keras's rule), so ``flatten`` and
``pack_sequence_as`` agree for dicts whatever their insertion order. ``None`` is a
leaf. Tensors and NumPy arrays are leaves.

Example:
    >>> import torch_keraslike as tkl
    >>> tkl.tree.flatten({"b": 1, "a": [2, (3, None)]})
    [2, 3, None, 1]
    >>> tkl.tree.map_structure(lambda x: x * 10, {"a": 1, "b": (2, 3)})
    {'a': 10, 'b': (20, 30)}
    >>> tkl.tree.pack_sequence_as({"b": 0, "a": [0, 0]}, [1, 2, 3])
    {'a': [1, 2], 'b': 3}
"""

import collections

from torch.utils import _pytree as pytree

__all__ = [
    "MAP_TO_NONE",
    "assert_same_paths",
    "assert_same_structure",
    "flatten",
    "flatten_with_path",
    "is_nested",
    "lists_to_tuples",
    "map_shape_structure",
    "map_structure",
    "map_structure_up_to",
    "pack_sequence_as",
    "traverse",
]


class MAP_TO_NONE:  # noqa: N801 - Keras's name
    """Returned by a :func:`traverse` function to replace a sub-structure by ``None``
    (returning ``None`` itself means "keep traversing")."""


def _is_leaf(structure):
    return pytree._get_node_type(structure) not in pytree.SUPPORTED_NODES


def is_nested(structure):
    """Whether ``structure`` is a list, tuple, namedtuple, dict (or another registered
    container) rather than a leaf.

    Example:
        >>> is_nested([1]), is_nested("ab"), is_nested(None)
        (True, False, False)
    """
    return not _is_leaf(structure)


def _children(structure):
    """One level of ``structure``: its direct children and how to rebuild it."""
    return pytree.tree_flatten(structure, is_leaf=lambda x: x is not structure)


def _sorted_dicts(structure):
    """``structure`` with every plain dict (and defaultdict) in sorted key order."""
    if type(structure) is dict:
        structure = {key: structure[key] for key in sorted(structure)}
    elif type(structure) is collections.defaultdict:
        structure = collections.defaultdict(structure.default_factory,
                                            {key: structure[key] for key in sorted(structure)})
    if _is_leaf(structure):
        return structure
    children, spec = _children(structure)
    return pytree.tree_unflatten([_sorted_dicts(child) for child in children], spec)


def _replaced(value, default):
    if value is None:
        return default
    return None if value is MAP_TO_NONE else value


def traverse(func, structure, top_down=True):
    """Applies ``func`` to every sub-structure and leaf.

    Top-down, a non-None result replaces the sub-structure (and its children are not
    visited); bottom-up, ``func`` sees each sub-structure after its children were
    traversed. Return :class:`MAP_TO_NONE` to put ``None`` in place.

    Args:
        func: ``func(sub_structure) -> replacement or None``.
        structure: the structure.
        top_down: the order of the visit.

    Example:
        >>> traverse(lambda x: x * 2 if isinstance(x, int) else None, [1, (2,)])
        [2, (4,)]
    """
    structure = _sorted_dicts(structure)

    def children():
        if _is_leaf(structure):
            return structure
        parts, spec = _children(structure)
        return pytree.tree_unflatten([traverse(func, part, top_down) for part in parts], spec)

    if top_down:
        result = func(structure)
        return children() if result is None else _replaced(result, None)
    visited = children()
    return _replaced(func(visited), visited)


def flatten(structure):
    """The leaves of ``structure``, in order (dicts by sorted key).

    Example:
        >>> flatten([1, {"y": 2, "x": 3}])
        [1, 3, 2]
    """
    if _is_leaf(structure):
        return [structure]
    return pytree.tree_flatten(_sorted_dicts(structure))[0]


def flatten_with_path(structure):
    """``[(path, leaf)]``: each leaf with the tuple of indices and keys leading to it
    (namedtuple fields by their position among the sorted field names, as Keras does).

    Example:
        >>> flatten_with_path({"b": 1, "a": [2, 3]})
        [(('a', 0), 2), (('a', 1), 3), (('b',), 1)]
    """
    leaves, _ = pytree.tree_flatten_with_path(_sorted_dicts(structure))
    fields = sorted({key.name for path, _ in leaves for key in path if isinstance(key, pytree.GetAttrKey)})
    position = {name: index for index, name in enumerate(fields)}
    result = []
    for path, leaf in leaves:
        parts = []
        for key in path:
            if isinstance(key, pytree.SequenceKey):
                parts.append(key.idx)
            elif isinstance(key, pytree.MappingKey):
                parts.append(key.key)
            elif isinstance(key, pytree.GetAttrKey):
                parts.append(position[key.name])
        result.append((tuple(parts), leaf))
    return result


def _same_structure_error(error):
    return ValueError(f"Structures don't have the same nested structure. {error} Fix: pass structures with "
                      "the same containers (list vs tuple matters), keys and lengths.")


def map_structure(func, *structures, none_is_leaf=True):
    """``func`` applied to the leaves of one or several structures of the same shape.

    Args:
        func: ``func(*leaves) -> value``.
        *structures: structures with the same nesting.
        none_is_leaf: False leaves ``None`` entries as ``None`` (every structure must
            have ``None`` there) instead of calling ``func``.

    Example:
        >>> map_structure(lambda a, b: a + b, [1, (2,)], [10, (20,)])
        [11, (22,)]
    """
    if not structures:
        raise ValueError("map_structure: must provide at least one structure.")
    call = func
    if not none_is_leaf:
        def call(*leaves):
            if leaves[0] is None:
                if any(leaf is not None for leaf in leaves):
                    raise ValueError("Structure mismatch: some arguments are None, others are not. Received "
                                     f"arguments: {leaves}.")
                return None
            return func(*leaves)
    if len(structures) == 1 and _is_leaf(structures[0]):
        return call(structures[0])
    leaves, spec = pytree.tree_flatten(structures[0])
    try:
        others = [spec.flatten_up_to(structure) for structure in structures[1:]]
    except (ValueError, TypeError) as error:
        raise _same_structure_error(error) from None
    return pytree.tree_unflatten([call(*parts) for parts in zip(leaves, *others)], spec)


def map_structure_up_to(shallow_structure, func, *structures):
    """``func`` applied to the sub-structures of ``structures`` found at the leaves of
    ``shallow_structure`` (which the structures must match down to that depth).

    Example:
        >>> map_structure_up_to([0, 0], len, [[1, 2], [3]])
        [2, 1]
    """
    if not structures:
        raise ValueError("map_structure_up_to: must provide at least one structure.")

    def call(shallow, *parts):
        if not _is_leaf(shallow):
            raise ValueError("Structures don't have the same nested structure.")
        return func(*parts)

    leaves, spec = pytree.tree_flatten(shallow_structure)
    try:
        flats = [spec.flatten_up_to(structure) for structure in structures]
    except (ValueError, TypeError) as error:
        raise _same_structure_error(error) from None
    return pytree.tree_unflatten([call(leaf, *parts) for leaf, *parts in zip(leaves, *flats)], spec)


def assert_same_structure(a, b, check_types=None):
    """Raises ``ValueError`` unless ``a`` and ``b`` have the same nesting (containers
    of the same types, same keys, same lengths).

    Args:
        a, b: the structures.
        check_types: deprecated in Keras, accepted and ignored.
    """
    try:
        pytree.tree_map(lambda x, y: None, a, b)
    except (ValueError, TypeError) as error:
        raise _same_structure_error(error) from None
    if len(flatten(a)) != len(flatten(b)):
        raise _same_structure_error("")


def assert_same_paths(a, b):
    """Raises ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (a looser
    check than :func:`assert_same_structure`: a list matches a tuple)."""
    paths_a = {path for path, _ in flatten_with_path(a)}
    paths_b = {path for path, _ in flatten_with_path(b)}
    if paths_a != paths_b:
        message = "`a` and `b` don't have the same paths."
        if paths_a - paths_b:
            message += f"\nPaths in `a` missing in `b`:\n{paths_a - paths_b}"
        if paths_b - paths_a:
            message += f"\nPaths in `b` missing in `a`:\n{paths_b - paths_a}"
        raise ValueError(message)


def pack_sequence_as(structure, flat_sequence):
    """``flat_sequence`` (leaves in :func:`flatten`'s order) packed into the nesting of
    ``structure``.

    Raises:
        ValueError: when the number of values differs from the number of leaves.
    """
    flat_sequence = list(flat_sequence)
    if _is_leaf(structure):
        if len(flat_sequence) != 1:
            raise ValueError(f"pack_sequence_as: the structure is a single leaf, but {len(flat_sequence)} "
                             "values were given.")
        return flat_sequence[0]
    leaves, spec = pytree.tree_flatten(_sorted_dicts(structure))
    if len(leaves) != len(flat_sequence):
        raise ValueError(f"pack_sequence_as: the structure has {len(leaves)} leaves, but {len(flat_sequence)} "
                         "values were given. Fix: pass one value per leaf of the structure.")
    return pytree.tree_unflatten(flat_sequence, spec)


def lists_to_tuples(structure):
    """``structure`` with every list turned into a tuple.

    Example:
        >>> lists_to_tuples([1, [2, {"a": [3]}]])
        (1, (2, {'a': (3,)}))
    """
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def map_shape_structure(func, structure):
    """``func`` applied to every shape (a list or tuple of ints and ``None``s) in
    ``structure``, shapes counting as leaves.

    Example:
        >>> map_shape_structure(lambda s: (None,) + tuple(s), [(3,), {"a": (4, 5)}])
        [(None, 3), {'a': (None, 4, 5)}]
    """
    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)

    return pytree.tree_map(func, _sorted_dicts(structure), is_leaf=is_shape)

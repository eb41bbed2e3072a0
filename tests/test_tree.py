"""``tkl.tree`` against Keras 3's ``keras.tree`` (torch backend) on the same structures,
and its errors."""

import collections

import numpy as np
import pytest
import torch

import torch_keraslike as tkl
from keras_reference import import_keras

Point = collections.namedtuple("Point", "y x")
STRUCTURES = [
    {"b": 1, "a": [2, (3, None)]},
    [1, {"z": 2, "y": (3, 4)}],
    Point(1, [2, 3]),
    collections.OrderedDict([("b", 1), ("a", 2)]),
    (torch.ones(2), {"k": np.zeros(3)}),
    5,
    None,
    [],
]


@pytest.fixture(scope="module")
def keras():
    return import_keras()


def same(a, b):
    if isinstance(a, torch.Tensor) or isinstance(a, np.ndarray):
        return a is b
    return a == b


@pytest.mark.parametrize("structure", STRUCTURES, ids=range(len(STRUCTURES)))
def test_matches_keras(keras, structure):
    tree = keras.tree
    assert tkl.tree.is_nested(structure) == tree.is_nested(structure)
    ours, theirs = tkl.tree.flatten(structure), tree.flatten(structure)
    assert len(ours) == len(theirs) and all(same(a, b) for a, b in zip(ours, theirs))
    assert [p for p, _ in tkl.tree.flatten_with_path(structure)] == [p for p, _ in tree.flatten_with_path(structure)]
    values = list(range(len(theirs)))
    assert repr(tkl.tree.pack_sequence_as(structure, values)) == repr(tree.pack_sequence_as(structure, values))
    describe = lambda x: type(x).__name__  # noqa: E731
    assert repr(tkl.tree.map_structure(describe, structure)) == repr(tree.map_structure(describe, structure))
    assert repr(tkl.tree.lists_to_tuples(structure)) == repr(tree.lists_to_tuples(structure))
    tkl.tree.assert_same_structure(structure, structure)


def test_several_structures_traverse_and_shapes_match_keras(keras):
    tree = keras.tree
    a, b = [1, (2, {"k": 3})], [10, (20, {"k": 30})]
    assert tkl.tree.map_structure(lambda x, y: x + y, a, b) == tree.map_structure(lambda x, y: x + y, a, b)
    with_none = [1, None]
    assert tkl.tree.map_structure(lambda x: x, with_none, none_is_leaf=False) == [1, None]
    assert tkl.tree.map_structure_up_to([0, 0], len, [[1, 2], (3,)]) == tree.map_structure_up_to([0, 0], len, [[1, 2], (3,)])
    double = lambda x: x * 2 if isinstance(x, int) else None  # noqa: E731
    assert tkl.tree.traverse(double, [1, (2, [3])]) == tree.traverse(double, [1, (2, [3])])
    drop_tuples = lambda x: tkl.tree.MAP_TO_NONE if isinstance(x, tuple) else None  # noqa: E731
    assert tkl.tree.traverse(drop_tuples, [1, (2,)]) == [1, None]
    seen = []
    tkl.tree.traverse(lambda x: seen.append(x), [1, [2]], top_down=False)
    assert seen == [1, 2, [2], [1, [2]]]
    shapes = [(None, 3), {"a": (4, 5)}]
    prepend = lambda s: (8,) + tuple(s)  # noqa: E731
    assert tkl.tree.map_shape_structure(prepend, shapes) == tree.map_shape_structure(prepend, shapes)
    tkl.tree.assert_same_paths([1, (2,)], (1, [2]))  # a list matches a tuple here


def test_structure_errors():
    with pytest.raises(ValueError, match="Structures don't have the same nested structure"):
        tkl.tree.assert_same_structure([1, 2], (1, 2))
    with pytest.raises(ValueError, match="Structures don't have the same nested structure"):
        tkl.tree.assert_same_structure([1, [2]], [1, 2])
    with pytest.raises(ValueError, match="Structures don't have the same nested structure"):
        tkl.tree.map_structure(lambda x, y: x, [1, 2], [1])
    with pytest.raises(ValueError, match="`a` and `b` don't have the same paths.\nPaths in `a` missing in `b`"):
        tkl.tree.assert_same_paths({"a": 1}, {"b": 1})
    with pytest.raises(ValueError, match="the structure has 3 leaves, but 2 values were given"):
        tkl.tree.pack_sequence_as([1, (2, 3)], [1, 2])
    with pytest.raises(ValueError, match="the structure is a single leaf, but 2 values were given"):
        tkl.tree.pack_sequence_as(1, [1, 2])
    with pytest.raises(ValueError, match="Structure mismatch: some arguments are None, others are not"):
        tkl.tree.map_structure(lambda x, y: x, [None], [1], none_is_leaf=False)
    with pytest.raises(ValueError, match="must provide at least one structure"):
        tkl.tree.map_structure(len)
    # errors raised by the function itself are not disguised as structure errors
    with pytest.raises(ZeroDivisionError):
        tkl.tree.map_structure(lambda x: 1 / x, [0, 1])

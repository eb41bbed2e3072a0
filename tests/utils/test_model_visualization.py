"""tkl.utils.model_to_dot / plot_model: pydot + Graphviz when installed, clear errors if not."""

import importlib.util
import os
import shutil
import sys

import pytest

import torch_keraslike as tkl
from torch_keraslike.utils import model_to_dot, plot_model

HAS_PYDOT = importlib.util.find_spec("pydot") is not None


def _functional():
    a, b = tkl.Input((4,), name="in_a"), tkl.Input((4,), name="in_b")
    x = tkl.layers.Dense(3, activation="relu", name="hidden")(a)
    y = tkl.layers.Add(name="sum")([x, tkl.layers.Dense(3, name="side")(b)])
    return tkl.Model([a, b], y, name="two_inputs")


def _sequential():
    return tkl.Sequential([tkl.Input((4,)), tkl.layers.Dense(2, name="first"),
                           tkl.layers.Dense(1, name="second")], name="chain")


@pytest.fixture
def no_pydot(monkeypatch):
    for name in ("pydot", "pydot_ng", "pydotplus"):
        monkeypatch.setitem(sys.modules, name, None)  # makes the import fail


def test_missing_pydot_is_a_clear_import_error(no_pydot, tmp_path):
    with pytest.raises(ImportError, match=r"You must install pydot \(`pip install pydot`\) for model_to_dot to work"):
        model_to_dot(_functional())
    target = tmp_path / "model.png"
    with pytest.raises(ImportError, match=r"for plot_model to work.*Graphviz's `dot` program"):
        plot_model(_functional(), to_file=str(target))
    assert not target.exists()


def test_unbuilt_models_and_bad_arguments_are_rejected():
    unbuilt = tkl.Sequential([tkl.layers.Dense(2)], name="lazy")
    with pytest.raises(ValueError, match=r'model_to_dot: model "lazy" has not been built yet'):
        model_to_dot(unbuilt)
    with pytest.raises(ValueError, match=r'plot_model: model "lazy" has not been built yet'):
        plot_model(unbuilt)
    with pytest.raises(ValueError, match=r"rankdir must be one of \['TB', 'LR', 'BT', 'RL'\], received 'XY'"):
        model_to_dot(_functional(), rankdir="XY")
    with pytest.raises(ValueError, match=r"`layer_range` is no longer supported"):
        model_to_dot(_functional(), layer_range=["a", "b"])
    with pytest.raises(ValueError, match=r"unrecognized keyword arguments \['colour'\]"):
        model_to_dot(_functional(), colour="red")


pydot_only = pytest.mark.skipif(not HAS_PYDOT, reason="pydot is an optional dependency: pip install pydot")


def _node_names(dot):
    text = dot.to_string()
    return [name for name in ("in_a", "in_b", "hidden", "side", "sum", "first", "second", "head",
                              "chain", "outer_in") if f"<b>{name}</b>" in text or f"label={name};" in text]


@pydot_only
def test_functional_graph_as_dot_text():
    model = _functional()
    dot = model_to_dot(model, show_shapes=True, show_dtype=True, show_layer_activations=True,
                       show_trainable=True, rankdir="LR")
    text = dot.to_string()
    assert _node_names(dot) == ["in_a", "in_b", "hidden", "side", "sum"]
    ids = {layer.name: str(id(layer)) for layer in model.layers}
    edges = {(e.get_source(), e.get_destination()) for e in dot.get_edges()}
    assert edges == {(ids["in_a"], ids["hidden"]), (ids["in_b"], ids["side"]),
                     (ids["hidden"], ids["sum"]), (ids["side"], ids["sum"])}
    assert "rankdir=LR" in text and "Activation: <b>relu</b>" in text
    assert "Input shape: <b>(None, 3), (None, 3)</b>" in text and "Output shape: <b>(None, 3)</b>" in text
    assert "Output dtype: <b>float32</b>" in text and "<b>Trainable</b>" in text
    frozen = _functional()
    frozen.get_layer("hidden").trainable = False
    assert "<b>Non-trainable</b>" in model_to_dot(frozen, show_trainable=True).to_string()
    assert "<b>Dense</b>" in model_to_dot(model, show_layer_names=False).to_string()


@pydot_only
def test_sequential_subclassed_and_nested_models():
    chain = _sequential()
    dot = model_to_dot(chain, show_shapes=True)
    assert _node_names(dot) == ["first", "second"] and len(dot.get_edges()) == 1
    assert "Input shape: <b>(None, 2)</b>" in dot.to_string()

    class Net(tkl.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = tkl.layers.Dense(1)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(tkl.Input((3,)))
    single = model_to_dot(net)
    boxes = [n for n in single.get_nodes() if n.get_name() != "node"]  # "node" holds the defaults
    assert len(boxes) == 1 and "<b>net</b> (Net)" in single.to_string()

    inner = _sequential()
    inputs = tkl.Input((4,), name="outer_in")
    outer = tkl.Model(inputs, tkl.layers.Dense(1, name="head")(inner(inputs)))
    flat = model_to_dot(outer)
    assert set(_node_names(flat)) == {"outer_in", "chain", "head"} and not flat.get_subgraphs()
    expanded = model_to_dot(outer, expand_nested=True)
    ids = {name: str(id(layer)) for name, layer in (("outer_in", outer.layers[0]), ("head", outer.get_layer("head")),
                                                   ("first", inner.layers[0]), ("second", inner.layers[1]))}
    edges = {(e.get_source(), e.get_destination()) for e in expanded.get_edges()}
    assert (ids["outer_in"], ids["first"]) in edges and (ids["second"], ids["head"]) in edges
    cluster = expanded.get_subgraphs()[0]
    assert cluster.get_name() == "cluster_chain" and len(cluster.get_edges()) == 1


@pydot_only
def test_plot_model_without_graphviz_is_a_clear_error(monkeypatch, tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    target = tmp_path / "model.png"
    with pytest.raises(ImportError, match=r"You must install Graphviz \(its `dot` program must be on PATH"):
        plot_model(_functional(), to_file=str(target))
    assert not target.exists()


@pytest.mark.skipif(not HAS_PYDOT or shutil.which("dot") is None, reason="needs pydot and Graphviz's dot")
@pytest.mark.parametrize("name", ["model.png", "model.svg", "model"])
def test_plot_model_writes_the_image(tmp_path, name):
    target = tmp_path / name
    plot_model(_functional(), to_file=str(target), show_shapes=True, expand_nested=True)
    assert target.stat().st_size > 0
    assert [p for p in os.listdir(tmp_path)] == [name]  # no temporary file left behind

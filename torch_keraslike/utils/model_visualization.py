"""``model_to_dot`` and ``plot_model``: a model's layer graph drawn with Graphviz.

The graph is built with ``pydot`` (``pip install pydot``; the older forks
``pydot_ng``/``pydotplus`` also work) and rendered by Graphviz's ``dot`` program
(``apt-get install graphviz``, ``brew install graphviz``...). Without them both
functions raise an ``ImportError`` saying what to install.
"""

import html
import os
import tempfile

__all__ = ["model_to_dot", "plot_model"]

_RANKDIRS = ("TB", "LR", "BT", "RL")


def _import_pydot():
    for name in ("pydot", "pydot_ng", "pydotplus"):
        try:
            return __import__(name)
        except ImportError:
            continue
    return None


def _require_pydot(where):
    pydot = _import_pydot()
    if pydot is None:
        raise ImportError(
            f"You must install pydot (`pip install pydot`) for {where} to work; rendering "
            "images with plot_model also needs Graphviz's `dot` program (e.g. `apt-get install "
            "graphviz` or `brew install graphviz`)."
        )
    return pydot


def _check_graphviz(pydot):
    try:
        pydot.Dot.create(pydot.Dot())
    except Exception as error:  # pydot raises OSError, FileNotFoundError or its own errors
        raise ImportError(
            "You must install Graphviz (its `dot` program must be on PATH: e.g. `apt-get install "
            "graphviz`, `brew install graphviz` or `conda install graphviz`) for plot_model to "
            f"work ({type(error).__name__}: {error}). model_to_dot(model).to_string() gives the "
            "graph as text without it."
        ) from None


def _model_kind(model):
    """``"sequential"``, ``"functional"`` or ``None`` (a subclass drawn as one box)."""
    from ..models import Model, Sequential

    if isinstance(model, Sequential):
        return "sequential"
    if isinstance(model, Model) and model._graph is not None:
        return "functional"
    return None


def _shape_text(shapes):
    if not shapes:
        return "?"
    texts = [str(tuple(s)) for s in shapes]
    return texts[0] if len(texts) == 1 else ", ".join(texts)


def _calls(model, layer):
    """``[(input shapes, output tensors)]`` of each call of ``layer`` in ``model``."""
    graph = model._graph
    if graph is None:
        return []
    calls = []
    for node in graph.nodes:
        if node.layer is layer:
            calls.append(([p.shape for p in node.parents], node.outputs))
    if not calls:  # an InputLayer
        calls = [([], out) for out in graph.node_outputs(layer)]
    return calls


def _io_text(model, layer, position):
    """Input shape, output shape and output dtype texts of ``layer`` ("?" if unknown)."""
    from ..models import InputLayer
    from ..symbolic import flatten

    calls = _calls(model, layer)
    if len(calls) == 1:
        inputs, outputs = calls[0]
        outputs = flatten(outputs)
        return (_shape_text(inputs), _shape_text([t.shape for t in outputs]),
                ", ".join(str(t.dtype).replace("torch.", "") for t in outputs) or "?")
    if _model_kind(model) == "sequential" and not isinstance(layer, InputLayer):
        outputs = model._symbolic_output_shapes(layer)
        if outputs:
            before = (model._symbolic_output_shapes(model.layers[position - 1])
                      if position > 0 else [[model._input_tensor.shape]])
            return _shape_text(before[0] if before else []), _shape_text(outputs[0]), "?"
    return "?", "?", "?"


def _label(model, layer, position, options):
    name = html.escape(getattr(layer, "name", "") or type(layer).__name__)
    class_name = html.escape(type(layer).__name__)
    columns = sum(bool(options[k]) for k in ("show_dtype", "show_trainable")) + (
        2 if options["show_shapes"] else 0)
    span = max(1, columns)
    title = f"<b>{name}</b> ({class_name})" if options["show_layer_names"] else f"<b>{class_name}</b>"
    rows = [f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
            f"{title}</font></td></tr>"]
    activation = getattr(layer, "activation", None)
    if options["show_layer_activations"] and activation is not None:
        text = getattr(activation, "__name__", None) or str(activation)
        rows.append(f'<tr><td colspan="{span}" bgcolor="white"><font point-size="14">Activation: '
                    f"<b>{html.escape(text)}</b></font></td></tr>")
    cells = []
    if options["show_shapes"] or options["show_dtype"]:
        from ..models import InputLayer

        in_text, out_text, dtype_text = _io_text(model, layer, position)
        if options["show_shapes"]:
            if not isinstance(layer, InputLayer):
                cells.append(f"Input shape: <b>{html.escape(in_text)}</b>")
            cells.append(f"Output shape: <b>{html.escape(out_text)}</b>")
        if options["show_dtype"]:
            cells.append(f"Output dtype: <b>{html.escape(dtype_text)}</b>")
    cells = [f'<td bgcolor="white"><font point-size="14">{c}</font></td>' for c in cells]
    if options["show_trainable"] and getattr(layer, "weights", None):
        color, text = ("forestgreen", "Trainable") if layer.trainable else ("firebrick", "Non-trainable")
        cells.append(f'<td bgcolor="{color}"><font point-size="14" color="white"><b>{text}</b></font></td>')
    if cells:
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
            + "".join(rows) + "</table>>")


def _node(pydot, model, layer, position, options):
    node = pydot.Node(str(id(layer)), label=_label(model, layer, position, options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    return node


def _edge(pydot, dot, source, destination):
    src, dst = str(id(source)), str(id(destination))
    if not dot.get_edge(src, dst):
        edge = pydot.Edge(src, dst)
        edge.set("penwidth", "2")
        dot.add_edge(edge)


def _first_box(layer, input_index):
    """The box an edge into input ``input_index`` of ``layer`` points to: for a nested
    model, the layer inside it that receives that input."""
    while _model_kind(layer) is not None:
        if _model_kind(layer) == "functional":
            inputs = layer.inputs
            layer = inputs[min(input_index, len(inputs) - 1)]._history[0].layer
        else:
            layer, input_index = layer.layers[0], 0
    return layer


def _last_box(layer, output_index):
    """The box an edge from output ``output_index`` of ``layer`` starts at: for a nested
    model, the layer inside it that computes that output."""
    while _model_kind(layer) is not None:
        layer, output_index = layer.outputs[output_index]._history[0].layer, layer.outputs[
            output_index]._history[1]
    return layer


def _layers_and_edges(model):
    """The boxes of ``model`` and its edges ``(source, output index, destination,
    input index)``."""
    if _model_kind(model) == "sequential":
        layers = list(model.layers)
        return layers, [(a, 0, b, 0) for a, b in zip(layers[:-1], layers[1:])]
    edges = []
    for node in model._graph.nodes:
        for input_index, parent in enumerate(node.parents):
            source, output_index = parent._history
            edges.append((source.layer, output_index, node.layer, input_index))
    return list(model._graph.layers), edges


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False,
                 show_trainable=False, splines="ortho", **kwargs):
    """Returns the layer graph of ``model`` as a ``pydot.Dot`` (a ``pydot.Cluster`` with
    ``subgraph=True``).

    Functional models draw one box per layer (``InputLayer``s included) and an edge per
    tensor passed between layers; ``Sequential`` models a chain; subclassed models a
    single box.

    Args:
        model: a built ``tkl.Model``/``tkl.Sequential``.
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's output dtype.
        show_layer_names: title boxes "name (Class)" instead of "Class".
        rankdir: ``"TB"`` (top to bottom), ``"LR"``, ``"BT"`` or ``"RL"``.
        expand_nested: draw nested models as clusters of their layers.
        dpi: image resolution.
        subgraph: return a ``pydot.Cluster`` (used for nested models).
        show_layer_activations: add the ``activation`` of layers that have one.
        show_trainable: mark layers with weights as trainable or not.
        splines: Graphviz edge style (``"ortho"``, ``"curved"``, ``"polyline"``,
            ``"spline"``, ``"line"``).

    Returns:
        The ``pydot`` graph; ``.to_string()`` is its dot text.
    """
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("model_to_dot: argument `layer_range` is no longer supported (as in Keras 3).")
    if kwargs:
        raise ValueError(f"model_to_dot: unrecognized keyword arguments {sorted(kwargs)}.")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"model_to_dot: rankdir must be one of {list(_RANKDIRS)}, received {rankdir!r}.")
    if not getattr(model, "built", False):
        raise ValueError(
            f'model_to_dot: model "{getattr(model, "name", model)}" has not been built yet. Build '
            "it first by calling build(input_shape) or by calling it on a batch of data (or start "
            "a Sequential with tkl.Input(shape))."
        )
    pydot = _require_pydot("model_to_dot")
    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = {"show_shapes": show_shapes, "show_dtype": show_dtype,
               "show_layer_names": show_layer_names, "show_trainable": show_trainable,
               "show_layer_activations": show_layer_activations}
    if _model_kind(model) is None:
        dot.add_node(_node(pydot, model, model, 0, options))
        return dot
    layers, edges = _layers_and_edges(model)
    for position, layer in enumerate(layers):
        if expand_nested and _model_kind(layer) is not None:
            dot.add_subgraph(model_to_dot(
                layer, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested,
                subgraph=True, show_layer_activations=show_layer_activations,
                show_trainable=show_trainable))
        else:
            dot.add_node(_node(pydot, model, layer, position, options))
    for source, output_index, destination, input_index in edges:
        if expand_nested:
            source, destination = _last_box(source, output_index), _first_box(destination, input_index)
        _edge(pydot, dot, source, destination)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draws ``model``'s layer graph into an image file (via :func:`model_to_dot`).

    Args:
        model: a built ``tkl.Model``/``tkl.Sequential``.
        to_file: the image path; its extension picks the format (``png`` by default,
            ``svg``, ``pdf``...). The file is written atomically.
        show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
        show_layer_activations, show_trainable, splines: as in :func:`model_to_dot`.

    Returns:
        An ``IPython.display.Image`` of the file when IPython is installed (not for
        PDF), else ``None``.
    """
    if not getattr(model, "built", False):
        raise ValueError(
            f'plot_model: model "{getattr(model, "name", model)}" has not been built yet. Build '
            "it first by calling build(input_shape) or by calling it on a batch of data."
        )
    pydot = _require_pydot("plot_model")
    _check_graphviz(pydot)
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines, **kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    directory = os.path.dirname(os.path.abspath(to_file))
    handle, temporary = tempfile.mkstemp(dir=directory, suffix=f".{extension}")
    os.close(handle)
    try:
        dot.write(temporary, format=extension)
        os.replace(temporary, to_file)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    if extension != "pdf":
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None

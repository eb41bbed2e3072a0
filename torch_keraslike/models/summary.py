"""``Model.summary()``: Keras's table of layers, output shapes and parameter counts."""

from torch import nn

from .._naming import to_snake_case


def _format_size(num_bytes):
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if num_bytes >= scale:
            return f"{num_bytes / scale:.2f} {unit}"
    return f"{num_bytes:.2f} B"


def _unique_weights(model):
    seen, weights = set(), []
    for weight in model.weights:
        if id(weight) not in seen:
            seen.add(id(weight))
            weights.append(weight)
    return weights


def _layer_params(layer):
    if not getattr(layer, "built", True):
        return "0 (unbuilt)"
    weights = {id(t): t for t in list(layer.parameters()) + list(layer.buffers())}
    return f"{sum(w.numel() for w in weights.values()):,}"


def _shape_text(shapes):
    if not shapes:
        return "?"
    texts = [str(tuple(shape)) for shape in shapes]
    return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"


def _connections(model, layer):
    graph = model._graph
    if graph is None:
        return ""
    call_index, counts = {}, {}
    for node in graph.nodes:
        call_index[id(node)] = counts.get(id(node.layer), 0)
        counts[id(node.layer)] = call_index[id(node)] + 1
    parents = []
    for node in graph.nodes:
        if node.layer is layer:
            for tensor in node.parents:
                source, index = tensor._history
                parents.append(f"{source.layer.name}[{call_index.get(id(source), 0)}][{index}]")
    return ", ".join(parents) or "-"


def _rows(model, show_connections, show_trainable):
    rows = []
    for layer in model.layers:
        shapes = model._symbolic_output_shapes(layer)
        name = getattr(layer, "name", None) or to_snake_case(type(layer).__name__)
        row = [f"{name} ({type(layer).__name__})", _shape_text(shapes[0] if shapes else []),
               _layer_params(layer)]
        if show_connections:
            row.append(_connections(model, layer))
        if show_trainable:
            row.append("Y" if layer.trainable else "N")
        rows.append(row)
    return rows


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    """Prints (or passes to ``print_fn`` line by line) the summary table of ``model``."""
    print_fn = print_fn or print
    graph = model._graph
    # As in Keras: a "Connected to" column unless the graph is a plain chain.
    show_connections = graph is not None and (
        len(graph.flat_inputs) > 1 or any(len(node.parents) != 1 for node in graph.nodes)
        or len({id(node.layer) for node in graph.nodes}) != len(graph.nodes)
    )
    headers = ["Layer (type)", "Output Shape", "Param #"]
    if show_connections:
        headers.append("Connected to")
    if show_trainable:
        headers.append("Trainable")
    rows = _rows(model, show_connections, show_trainable)
    widths = [max(len(h), *(len(r[i]) for r in rows)) + 2 if rows else len(h) + 2
              for i, h in enumerate(headers)]
    if line_length:
        widths[0] = max(widths[0], line_length - sum(widths[1:]) - len(widths) - 1)
    align = [{"Param #": ">", "Trainable": "^"}.get(h, "<") for h in headers]

    def line(cells, left, mid, right):
        parts = [f" {c:{a}{w - 2}} " for c, a, w in zip(cells, align, widths)]
        return left + mid.join(parts) + right

    def rule(left, mid, right, fill):
        return left + mid.join(fill * w for w in widths) + right

    print_fn(f'Model: "{model.name}"')
    print_fn(rule("┏", "┳", "┓", "━"))
    print_fn(line(headers, "┃", "┃", "┃"))
    print_fn(rule("┡", "╇", "┩", "━"))
    for index, row in enumerate(rows):
        print_fn(line(row, "│", "│", "│"))
        if index < len(rows) - 1:
            print_fn(rule("├", "┼", "┤", "─"))
    print_fn(rule("└", "┴", "┘", "─"))
    built = not model._unbuilt_layer_names()
    weights = _unique_weights(model) if built else []
    trainable = [w for w in weights if isinstance(w, nn.Parameter) and w.requires_grad]
    frozen = [w for w in weights if not (isinstance(w, nn.Parameter) and w.requires_grad)]

    def total(ws):
        count = sum(w.numel() for w in ws)
        size = sum(w.numel() * w.element_size() for w in ws)
        return f"{count:,} ({_format_size(size)})"

    print_fn(f" Total params: {total(weights)}")
    print_fn(f" Trainable params: {total(trainable)}")
    print_fn(f" Non-trainable params: {total(frozen)}")
    if not built:
        print_fn(" (the model is not built yet: call it once, or build(input_shape), for all counts)")

"""Which names of a Keras 3 namespace torch_keraslike provides.

For ``keras.<namespace>`` (Keras must be installed) every public name gets a status:
``supported`` when ``torch_keraslike.<namespace>`` has it, otherwise the documented
reason from ``REASONS``, otherwise ``missing``. Names of public submodules that are not
in the namespace itself are listed as ``submodule.name`` (``image.resize`` for ``ops``).

``keras`` as the namespace lists Keras's top-level names (``keras.Loss``,
``keras.tree``...).

Usage::

    python scripts/api_status.py ops                   # prints a markdown table
    python scripts/api_status.py ops --check           # exits 1 when a name is missing
    python scripts/api_status.py ops --write README.md # refreshes the table in README.md

``--write`` replaces the text between ``<!-- api-status:ops -->`` and
``<!-- /api-status:ops -->`` in the file.
"""

import argparse
import importlib
import inspect
import os
import sys
from pathlib import Path

# Names without a meaning on torch, by namespace: the reason is shown instead of "missing".
REASONS = {
    "layers": {
        "StringLookup": "string tensors have no torch equivalent",
        "TextVectorization": "string tensors have no torch equivalent",
        "TFSMLayer": "loads TensorFlow SavedModels, which need TensorFlow",
        "JaxLayer": "wraps JAX functions, which need JAX",
        "FlaxLayer": "wraps Flax modules, which need JAX",
    },
    "ops": {},
    "keras": {
        "Function": "Keras's symbolic graph object behind functional models; tkl.Model(inputs, outputs) "
                    "is the graph here",
        "Operation": "base class of Keras's symbolic ops; tkl.ops calls torch directly (TorchOpLayer "
                     "records calls in graphs)",
        "StatelessScope": "JAX-style stateless execution; torch modules are stateful "
                          "(torch.func.functional_call is the stateless path)",
        "SymbolicScope": "Keras's internal flag for symbolic tracing; shapes are inferred on meta tensors here",
        "Variable": "weights are torch Parameters and buffers that carry Keras's variable API "
                    "(path, assign, assign_add, numpy)",
        "Quantizer": "Keras's quantizers target its own int8/float8 kernels; torch.ao.quantization "
                     "applies here",
        "quantizers": "Keras's quantizers target its own int8/float8 kernels; torch.ao.quantization "
                      "applies here",
        "applications": "a model zoo that downloads pretrained weights; save the Keras model as .keras "
                        "and load it with tkl.saving.load_model",
        "datasets": "downloads data sets; load the arrays with keras.datasets or torchvision and pass "
                    "them to fit",
        "distribution": "Keras's distribution API (DeviceMesh, LayoutMap) runs on JAX only; fit runs on "
                        "torch.distributed (DDP, FSDP2) here",
        "export": "writes TensorFlow SavedModels; use torch.export or torch.onnx on the model",
        "legacy": "tf.keras 2 compatibility shims that need TensorFlow",
        "src": "Keras's private source tree",
    },
}
SUPPORTED = "supported"
MISSING = "missing"


def _public(module):
    return sorted(name for name in dir(module) if not name.startswith("_"))


def _resolve(root, dotted):
    for part in dotted.split(".") if dotted else ():
        root = getattr(root, part, None)
        if root is None:
            return None
    return root


def status_rows(namespace):
    """``[(name, status)]`` for every public name of ``keras.<namespace>``."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = importlib.import_module("keras")
    repository = Path(__file__).resolve().parents[1]
    if str(repository) not in sys.path:
        sys.path.insert(0, str(repository))
    import torch_keraslike

    root = namespace == "keras"
    theirs = keras if root else _resolve(keras, namespace)
    if theirs is None:
        raise SystemExit(f"keras has no namespace {namespace!r}; try e.g. ops, layers, utils, random, keras.")
    ours = torch_keraslike if root else _resolve(torch_keraslike, namespace)
    reasons = REASONS.get(namespace.split(".")[0], {})
    names = _public(theirs)
    for name in [] if root else list(names):
        sub = getattr(theirs, name)
        if inspect.ismodule(sub) and sub.__name__.startswith("keras"):
            names += [f"{name}.{inner}" for inner in _public(sub) if inner not in names]
    rows = []
    for name in names:
        if ours is not None and _resolve(ours, name) is not None:
            rows.append((name, SUPPORTED))
        else:
            rows.append((name, reasons.get(name, MISSING)))
    return rows


def markdown(namespace, rows):
    supported = sum(status == SUPPORTED for _, status in rows)
    missing = sum(status == MISSING for _, status in rows)
    title = "keras" if namespace == "keras" else f"keras.{namespace}"
    lines = [
        f"`{title}`: {len(rows)} names, {supported} supported, {missing} missing, "
        f"{len(rows) - supported - missing} without a meaning on torch.",
        "",
        "| name | status |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {status} |" for name, status in rows]
    return "\n".join(lines)


def write(path, namespace, table):
    begin, end = f"<!-- api-status:{namespace} -->", f"<!-- /api-status:{namespace} -->"
    text = Path(path).read_text()
    if begin not in text or end not in text:
        raise SystemExit(f"{path} has no {begin} ... {end} markers; add them where the table belongs.")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    Path(path).write_text(f"{head}{begin}\n{table}\n{end}{tail}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("namespace", help="a Keras namespace: ops, layers, losses, ..., or keras for the top level")
    parser.add_argument("--check", action="store_true", help="exit 1 when a name is missing")
    parser.add_argument("--write", metavar="FILE", help="replace the table between the markers in FILE")
    args = parser.parse_args(argv)
    rows = status_rows(args.namespace)
    table = markdown(args.namespace, rows)
    if args.write:
        write(args.write, args.namespace, table)
    else:
        print(table)
    missing = [name for name, status in rows if status == MISSING]
    if args.check and missing:
        print(f"missing from torch_keraslike.{args.namespace}: {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Our model file: one safetensors file holding the weights, with the model's JSON
config and build state in its metadata.

Nothing in the file is pickled or executed: the config names classes by registered
name (see :mod:`.registry`), torch functions only from an allow-list of operators, and
the weights are plain tensors. Loading rebuilds the model with shape-only weights,
checks them against the stored shapes, then allocates and fills them (see
:mod:`._safe_build`). Writing is atomic (temporary file, then rename).
"""

import json
import os

from .._files import atomic_path
from .._layer_weights import decode_build_config
from ._safe_build import build_and_check, corrupted, corrupted_file_errors, materialize
from .registry import deserialize, safe_mode_scope, serialize

__all__ = ["load_model", "save_model"]

FORMAT = "torch_keraslike.model"
FORMAT_VERSION = "1"


def _weights_and_extra_state(model):
    tensors, extra = {}, {}
    for key, value in model.state_dict().items():
        if key.endswith("_extra_state"):
            extra[key] = decode_build_config(value) or {}
        else:
            # safetensors stores each tensor once, contiguous, on the CPU.
            tensors[key] = value.detach().to("cpu").contiguous().clone()
    return tensors, extra


def save_model(model, path):
    """Saves ``model`` to one file: its config (JSON) and weights (safetensors).

    The file is a safetensors file whose metadata holds the JSON config and the build
    state; nothing in it is pickled, so :func:`load_model` never executes code from it.
    It is written to a temporary file beside ``path`` and renamed, so an interrupted
    save leaves any previous file at ``path`` intact.

    Args:
        model: a ``tkl.Model`` (functional, Sequential, or a registered subclass) or
            any registered layer.
        path: destination file (conventionally ``*.safetensors``).

    Example:
        >>> import torch_keraslike as tkl, tempfile, os
        >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
        >>> tkl.saving.save_model(model, path)
        >>> tkl.saving.load_model(path).count_params()
        8
    """
    from safetensors.torch import save_file

    config = serialize(model)
    tensors, extra = _weights_and_extra_state(model)
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": json.dumps(config),
        "extra_state": json.dumps(extra),
    }
    with atomic_path(path) as tmp:
        save_file(tensors, tmp, metadata=metadata)


def _read_header(path):
    """Metadata and ``{key: (shape, dtype)}`` of a safetensors file, no tensor data."""
    from safetensors import safe_open

    try:
        with safe_open(os.fspath(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            shapes = {}
            for key in handle.keys():
                view = handle.get_slice(key)
                shapes[key] = (tuple(view.get_shape()), _torch_dtype(view.get_dtype()))
    except FileNotFoundError:
        raise
    except Exception as error:  # safetensors reports bad headers and short files alike
        raise ValueError(
            f"Cannot read model file {str(path)!r}: {error}. The file is truncated, corrupted "
            "or not a model file. Fix: save it again with tkl.saving.save_model(model, path)."
        ) from None
    return metadata, shapes


def _torch_dtype(name):
    # safetensors spells dtypes F32, BF16, I64...
    import torch

    table = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
             "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
             "U8": torch.uint8, "BOOL": torch.bool, "C64": torch.complex64}
    return table.get(name, torch.float32)


def _load_tensors(path):
    from safetensors import safe_open

    with safe_open(os.fspath(path), framework="pt") as handle:
        return {key: handle.get_tensor(key) for key in handle.keys()}


def _decode_json(path, metadata, key, default=None):
    text = metadata.get(key, default)
    if not isinstance(text, str):
        raise corrupted(path, f"its metadata has no {key!r} entry")
    try:
        return json.loads(text)
    except RecursionError:
        raise corrupted(path, f"its {key!r} metadata is nested too deeply") from None
    except ValueError as error:
        raise corrupted(path, f"its {key!r} metadata is not valid JSON ({error})") from None


def load_model(path, custom_objects=None, safe_mode=True):
    """Loads a model written by :func:`save_model`.

    Guarantees: no code from the file runs (classes are looked up by registered name
    only: ``register_serializable`` or ``custom_objects``), no module named in the file
    is imported, nothing is unpickled, and no memory is allocated for weights before the
    shapes the config declares have been checked against the tensors the file stores.

    Args:
        path: the model file.
        custom_objects: optional ``{"name": class}`` for classes not registered.
        safe_mode: keep True; False allows a file's stored Python code (a ``Lambda``'s
            bytecode) to be loaded, for files from a trusted source only.

    Returns:
        The model, built, with its weights, on the CPU.
    """
    metadata, shapes = _read_header(path)
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"{str(path)!r} is a safetensors file but not a torch_keraslike model file (its "
            f"metadata has format={metadata.get('format')!r}). Fix: save models with "
            "tkl.saving.save_model(model, path); load plain weights with model.load_state_dict()."
        )
    config = _decode_json(path, metadata, "config")
    extra = _decode_json(path, metadata, "extra_state", "{}")
    if not isinstance(config, dict) or not isinstance(extra, dict):
        raise corrupted(path, "its config and build state must be JSON objects")
    with corrupted_file_errors(path), safe_mode_scope(safe_mode):
        model = build_and_check(path, lambda: deserialize(config, custom_objects), shapes, extra)
    materialize(model)
    model.load_state_dict({**_load_tensors(path), **extra})
    return model

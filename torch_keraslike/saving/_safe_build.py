"""Rebuilding a model from a file that is not trusted.

Every reader (our safetensors files, Keras archives, legacy HDF5) goes through the
same three steps:

1. :func:`corrupted_file_errors`: the config is decoded and the model rebuilt; the
   structural errors a damaged or tampered config causes deep inside the loader
   (``TypeError``, ``KeyError``, ``RecursionError``...) become one clear "corrupted model
   file" error.
2. :func:`build_and_check`: the model is built with every weight on torch's ``meta``
   device (shapes, no memory) and its weight shapes are compared with the shapes the
   file stores, read from the file's header without loading any tensor. A config that
   declares a 100k x 100k kernel next to a small stored tensor is reported before a
   byte is allocated.
3. :func:`materialize`: only then are the weights allocated (empty, on the CPU), to be
   filled from the file's tensors by the reader.
"""

import contextlib

import torch

from .._build_context import weights_on_meta
from .._layer_weights import StateDictMismatchError

_CORRUPTED = """\
The model file {path!r} is corrupted: {detail}. Its config or metadata does not have \
the structure of a saved model (it was truncated, edited or written by another tool). \
Fix: save the model again, or load the file the program that wrote it supports."""

_MISMATCH = """\
The model file {path!r} does not match the model its own config describes: the stored \
tensors do not have the shapes the config declares (the expected shape is the one the \
config declares, the received shape is the one stored in the file).
{details}
Fix: the file was edited or damaged; save the model again."""

# Errors a malformed config raises from inside generic code (a ``None`` where a dict
# belongs, a string where a list belongs, nesting deeper than Python's stack...).
_STRUCTURAL_ERRORS = (TypeError, KeyError, AttributeError, IndexError, RecursionError)


def corrupted(path, detail):
    """The "corrupted model file" error for ``path``."""
    return ValueError(_CORRUPTED.format(path=str(path), detail=detail))


@contextlib.contextmanager
def corrupted_file_errors(path):
    """Turns structural errors raised while decoding a file's config into a clear
    "corrupted model file" ``ValueError`` (the original stays chained as its cause)."""
    try:
        yield
    except _STRUCTURAL_ERRORS as error:
        detail = f"decoding its config failed with {type(error).__name__}: {str(error)[:300]}"
        raise corrupted(path, detail) from error
    except ValueError as error:
        if str(path) in str(error):
            raise
        # A layer's own clear message, told which file it came from.
        raise ValueError(f"Cannot load the model file {str(path)!r}: {error}") from error


def meta_tensors(shapes):
    """``{key: (shape, dtype)}`` as shape-only tensors on the ``meta`` device."""
    return {key: torch.empty(shape, dtype=dtype, device="meta") for key, (shape, dtype) in shapes.items()}


def build_and_check(path, make_model, shapes, extra_state=None):
    """Creates the model with ``make_model()`` and builds it on ``meta``, then checks
    its weight shapes against ``shapes`` (``{state_dict key: (shape, dtype)}`` stored in
    the file). Returns the model, still on ``meta``; nothing real is allocated.

    Args:
        path: the file (for messages).
        make_model: function creating the model from the file's config.
        shapes: shapes and dtypes of the tensors stored in the file, by key.
        extra_state: the build configurations (``_extra_state`` entries) to build from.
    """
    with weights_on_meta():
        model = make_model()
        try:
            # Builds unbuilt layers from the recorded build configs, then checks every
            # key and shape; the copy into meta tensors that follows moves no data.
            model.load_state_dict({**meta_tensors(shapes), **(extra_state or {})})
        except StateDictMismatchError as error:
            details = str(error).split("\n", 1)[1].rsplit("\nFix:", 1)[0]
            raise ValueError(_MISMATCH.format(path=str(path), details=details)) from None
    return model


_COMPUTED_TOO_LARGE = """\
The model file {path!r} describes layers whose computed state (buffers derived from \
their config, such as a Normalization's given mean) takes {size} bytes, more than the \
{budget} bytes of weights the file stores: {layers}. A config that asks for more memory \
than the file holds is refused. Fix: the file was edited or damaged; save the model again."""

# Computed state may always take this much, whatever the file stores.
_COMPUTED_FLOOR = 16 << 20


def _computed_buffers(module):
    """Names of ``module``'s non-persistent buffers still on ``meta``: state a layer
    computes from its config in ``build``, which no file stores."""
    return [name for name in module._non_persistent_buffers_set
            if module._buffers.get(name) is not None and module._buffers[name].device.type == "meta"]


def _recompute(module, names, device):
    """Fills ``module``'s computed buffers by building a twin from its config on ``device``."""
    twin = type(module).from_config(module.get_config())
    twin.to(device)
    build = module.get_build_config()
    if build:
        twin.build_from_config(build)
    for name in names:
        module._buffers[name] = twin._buffers[name].to(device)


def _empty_on(tensor, device):
    """Uninitialised memory on ``device`` with ``tensor``'s shape, strides and dtype
    (a channels_last kernel stays channels_last); tensors not on meta are kept."""
    if tensor.device.type != "meta":
        return tensor
    return torch.empty_strided(tensor.size(), tensor.stride(), dtype=tensor.dtype, device=device)


def materialize(model, device="cpu", path="<model>"):
    """Allocates (uninitialised) memory on ``device`` for every weight still on ``meta``,
    recomputes the state layers derive from their configs, and places the layers built
    on ``meta`` (weights or not) on ``device``."""
    device = torch.device(device)
    stored = sum(t.numel() * t.element_size() for t in model.state_dict().values()
                 if isinstance(t, torch.Tensor))
    computed = [(m, _computed_buffers(m)) for m in model.modules()]
    computed = [(m, names) for m, names in computed if names]
    size = sum(m._buffers[n].numel() * m._buffers[n].element_size() for m, names in computed for n in names)
    if size > max(stored, _COMPUTED_FLOOR):
        raise ValueError(_COMPUTED_TOO_LARGE.format(
            path=str(path), size=size, budget=stored, layers=[getattr(m, "name", type(m).__name__) for m, _ in computed]))
    for module, names in computed:
        _recompute(module, names, device)
    for module in model.modules():
        own = [*module._parameters.values(), *module._buffers.values()]
        if any(t is not None and t.device.type == "meta" for t in own):
            # Not ``to_empty``: its ``empty_like`` on meta tensors runs torch's Python
            # reference (symbolic stride checks), a third of a ResNet50's load time.
            module._apply(lambda t: _empty_on(t, device), recurse=False)
        placement = vars(module).get("_tkl_device")
        if placement is not None and placement.type == "meta":
            vars(module)["_tkl_device"] = device
    return model

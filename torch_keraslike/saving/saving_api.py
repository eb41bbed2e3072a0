"""``save_model``/``load_model`` and the weight-file methods of models, choosing the
format by the file's content (reading) or name (writing).

========================  =====================================================
``.keras``                Keras 3 archive (:mod:`.keras_archive`)
``.h5``                   tf.keras 2 full model, read only (:mod:`.keras_h5`)
``.weights.h5``           Keras 3 weights (``save_weights``/``load_weights``)
anything else             this library's safetensors file (:mod:`.model_file`)
========================  =====================================================
"""

import os

from . import keras_archive, keras_h5, model_file
from ._safe_build import corrupted
from .keras_model import build_model

__all__ = ["load_model", "load_weights", "save_model", "save_weights"]

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _kind(path):
    """``"zip"``, ``"hdf5"``, ``"safetensors"`` or None, from the first bytes."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
            return "zip"
        # HDF5 may start after a user block of 512, 1024, 2048... bytes.
        offset = 0
        while True:
            handle.seek(offset)
            if handle.read(8) == _HDF5_MAGIC:
                return "hdf5"
            offset = 512 if offset == 0 else offset * 2
            if offset > (1 << 20):
                break
        handle.seek(8)
        if len(head) == 8 and handle.read(1) == b"{":
            return "safetensors"
    return None


def _unknown_format(path):
    return ValueError(
        f"{str(path)!r} is not a model file this library reads: it is neither a Keras "
        "archive (.keras, a zip), a Keras HDF5 file (.h5) nor a torch_keraslike "
        "safetensors file (it is truncated, corrupted or in another format). Fix: pass a "
        "file written by model.save() (here or in Keras)."
    )


def load_model(path, custom_objects=None, safe_mode=True):
    """Loads a model from a Keras 3 ``.keras`` archive, a tf.keras 2 ``.h5`` file or
    this library's safetensors file, recognised by content.

    Guarantees for every format: no code from the file runs (classes are found by
    registered name only, ``Lambda`` bytecode only with ``safe_mode=False``), no module
    named in the file is imported, nothing is unpickled, and no memory is allocated for
    weights before the shapes the config declares have been checked against the file.

    Args:
        path: the file.
        custom_objects: optional ``{"name": class}`` for classes not registered.
        safe_mode: keep True; False allows a file's Python bytecode (Keras's ``Lambda``
            layers) to be loaded, for files from a trusted source only.

    Returns:
        The model, built, with its weights, on the CPU. Training configuration (the
        optimizer) is not restored: compile the model again to train it.

    Example:
        >>> import os, tempfile, torch, torch_keraslike as tkl
        >>> model = tkl.Sequential([tkl.Input((3,)), tkl.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
        >>> model.save(path)
        >>> loaded = tkl.models.load_model(path)
        >>> torch.equal(loaded(torch.ones(1, 3)), model(torch.ones(1, 3)))
        True
    """
    kind = _kind(path)
    if kind == "zip":
        return keras_archive.load_archive(path, custom_objects, safe_mode)
    if kind == "hdf5":
        return _load_legacy_h5(path, custom_objects, safe_mode)
    if kind == "safetensors":
        return model_file.load_model(path, custom_objects, safe_mode)
    raise _unknown_format(path)


def _load_legacy_h5(path, custom_objects, safe_mode):
    import json

    where = str(path)
    with keras_h5.open_h5(path, where) as h5:
        text = keras_h5.string_attr(h5, "model_config")
        if text is None:
            raise ValueError(
                f"{where} is a Keras weights file, not a full model (it has no model_config). "
                "Fix: build the model, then call model.load_weights(path)."
            )
        try:
            config = json.loads(text)
        except RecursionError:
            raise corrupted(where, "its model_config is nested too deeply") from None
        except (TypeError, ValueError) as error:
            raise corrupted(where, f"its model_config is not valid JSON ({error})") from None
        if not isinstance(config, dict):
            raise corrupted(where, "its model_config must hold a JSON object")
        root = keras_h5.get_group(h5, "model_weights", where)
        if root is None:
            raise corrupted(where, "it has no model_weights group")
        return build_model(where, config, custom_objects, safe_mode,
                           lambda model: keras_h5.legacy_plan(root, model, where, by_name=True)[0])


def save_model(model, path):
    """Saves ``model``: ``*.keras`` as a Keras 3 archive (``keras.saving.load_model``
    opens it), anything else as this library's safetensors file.

    Every file is written to a temporary file beside ``path`` and renamed.

    Args:
        model: a ``tkl.Model``, ``Sequential``, or registered model/layer.
        path: destination file.
    """
    name = os.fspath(path)
    if name.endswith(".keras"):
        return keras_archive.save_archive(model, name)
    if name.endswith(".weights.h5"):
        raise ValueError(f"{name!r} names a weights file. Fix: model.save_weights({name!r}) "
                         "writes the weights; model.save('model.keras') the whole model.")
    if name.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"Saving tf.keras 2's legacy HDF5 format ({name!r}) is not supported; this library "
            "reads it but writes Keras 3's formats. Fix: model.save('model.keras') (Keras 3 "
            "loads it), or model.save('model.safetensors')."
        )
    return model_file.save_model(model, name)


def save_weights(model, path):
    """``model.save_weights``: Keras 3's ``.weights.h5`` layout."""
    keras_h5.save_weights(model, path)


def load_weights(model, path, skip_mismatch=False):
    """``model.load_weights``: from a Keras ``.weights.h5``, a legacy ``.h5``, the
    weights of a ``.keras`` archive, or this library's safetensors file.

    Layers are matched by Keras's rules (by position and class, as Keras names its
    weight groups); every count and shape is checked before anything is written.
    With ``skip_mismatch=True`` the layers that do not fit are skipped with a warning.
    """
    import warnings

    where = str(path)
    keras_h5.require_built(model, "load_weights")
    kind = _kind(path)
    if kind == "zip":
        with keras_archive.read_archive_weights(path, where) as source:
            skipped = keras_h5.load_weights(model, source, where, skip_mismatch)
    elif kind == "hdf5":
        skipped = keras_h5.load_weights(model, path, where, skip_mismatch)
    elif kind == "safetensors":
        model.load_state_dict(model_file.read_state(path), strict=not skip_mismatch)
        skipped = []
    else:
        raise _unknown_format(path)
    if skipped:
        warnings.warn(f"load_weights({where!r}) skipped layers that do not fit the file: {skipped}",
                      stacklevel=3)

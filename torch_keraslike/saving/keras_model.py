"""Rebuilding a model from a Keras file (``.keras`` archive or legacy ``.h5``) without
trusting it: the steps of :mod:`._safe_build` with Keras's weight layouts.

1. The config is deserialized (classes by name only) with every weight on ``meta``.
2. Every weight is paired with a dataset of the file and their shapes compared
   (:mod:`.keras_h5`): a mismatch names the layer and weight, before any allocation.
3. Only then is memory allocated and filled from the file.
"""

from .._build_context import weights_on_meta
from ._safe_build import build_and_check, corrupted_file_errors, materialize
from .keras_config import deserialize
from .keras_h5 import assign, read_plan
from .registry import safe_mode_scope

__all__ = ["build_model"]


def build_model(where, config, custom_objects, safe_mode, make_plan):
    """The model ``config`` describes, with the weights ``make_plan(model)`` pairs with
    the file's datasets (``[(slot, dataset)]``)."""
    with corrupted_file_errors(where), safe_mode_scope(safe_mode):
        with weights_on_meta():
            model = deserialize(config, custom_objects)
        plan = make_plan(model)
        shapes = {slot.key: (slot.shape, slot.dtype) for slot, _ in plan}
        extra = {k: v for k, v in model.state_dict().items() if k.endswith("_extra_state")}
        # Every weight of the model must come from the file: strict key check on meta.
        build_and_check(where, lambda: model, shapes, extra)
        values = read_plan(plan)
    materialize(model, path=where)
    assign(model, values)
    return model

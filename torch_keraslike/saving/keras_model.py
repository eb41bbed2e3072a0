"""Rebuilding a model from a Keras file (``.keras`` archive or legacy ``.h5``) without
trusting it: the steps of :mod:`._safe_build` with Keras's weight layouts.

1. The config is deserialized (classes by name only) with every weight on ``meta``.
2. Every weight is paired with a dataset of the file and their shapes compared
   (:mod:`.keras_h5`): a mismatch names the layer and weight, and a weight the file
   does not hold is reported, before any allocation.
3. Only then is memory allocated (:func:`._safe_build.materialize`) and filled.
"""

import torch

from .._build_context import weights_on_meta
from ._safe_build import corrupted_file_errors, materialize
from .keras_config import deserialize
from .keras_h5 import assign, read_plan
from .registry import safe_mode_scope

__all__ = ["build_model"]


def _uncovered(model, plan):
    """State-dict keys of ``model``'s weights that no dataset of the plan fills."""
    covered = {slot.key for slot, _ in plan}
    return sorted(k for k, v in model.state_dict(keep_vars=True).items()
                  if isinstance(v, torch.Tensor) and not k.endswith("_extra_state") and k not in covered)


def build_model(where, config, custom_objects, safe_mode, make_plan):
    """The model ``config`` describes, with the weights ``make_plan(model)`` pairs with
    the file's datasets (``[(slot, dataset)]``, shapes already compared)."""
    with corrupted_file_errors(where), safe_mode_scope(safe_mode):
        with weights_on_meta():
            model = deserialize(config, custom_objects)
        plan = make_plan(model)
        missing = _uncovered(model, plan)
        if missing:
            raise ValueError(
                f"{where}: the file holds no values for the weights {missing[:10]} of the model "
                "its config describes. Fix: the file was edited or damaged, or written for "
                "another architecture; save the model again."
            )
        values = read_plan(plan)
    materialize(model, path=where)
    assign(model, values)
    return model

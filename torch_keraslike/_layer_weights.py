"""The weight side of ``Layer``: ``add_weight``, Keras's weight lists, losses, state dicts.

Kept apart from ``layer.py`` (the call/build pipeline) so each file holds one idea.
Trainable weights are ``torch.nn.Parameter``s, non-trainable state is a buffer, both
registered under the attribute name they are assigned to.
"""

import json
import sys
import threading
import warnings
import weakref

import numpy as np
import torch
from torch import nn
from torch.nn.parameter import UninitializedBuffer, UninitializedParameter

from . import _module_state
from ._call_context import CALL_CONTEXT
from ._dtypes import to_torch_dtype

_STATE_AFTER_BUILD_WEIGHT = """\
Layer "{name}" is already built, and adding weight {weight!r} after build() is not \
allowed: all state must be created in __init__() or build().
Wrong:
    def call(self, x):
        self.w = self.add_weight(shape=(x.shape[-1], 4))   # created on every call
Right:
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 4))
"""


_UNBUILT_PARAMETERS = (
    'Layer "{name}" is not built yet, so .parameters() does not contain its weights '
    "(unbuilt layers: {unbuilt}). An optimizer or DDP created now would not see them. "
    "Build it first: call layer.build(input_shape), run one dry call such as "
    "layer(torch.zeros(batch_shape)), or pass input_shape= to the constructor."
)


class UnbuiltLayerWarning(UserWarning):
    """Warned when the weights of a layer are asked for before it has been built."""


class StateDictMismatchError(ValueError, RuntimeError):
    """A state dict does not fit the layer (a ``RuntimeError`` too, as in torch)."""


# Layers whose weights carry a Keras constraint. Constraints are applied after each
# optimizer step, as Keras does, through one global torch optimizer hook.
_CONSTRAINED_LAYERS = weakref.WeakSet()
_HOOK_LOCK = threading.Lock()
_hook_installed = []


def _apply_constraints(optimizer, args, kwargs):
    if not _CONSTRAINED_LAYERS:
        return
    stepped = {id(p) for group in optimizer.param_groups for p in group["params"]}
    with torch.no_grad():
        for layer in list(_CONSTRAINED_LAYERS):
            for key, meta in layer._tkl_weight_meta.items():
                weight = layer._parameters.get(key)
                if meta.get("constraint") is not None and weight is not None and id(weight) in stepped:
                    weight.copy_(meta["constraint"](weight))


def _install_constraint_hook():
    with _HOOK_LOCK:
        if not _hook_installed:
            from torch.optim.optimizer import register_optimizer_step_post_hook

            _hook_installed.append(register_optimizer_step_post_hook(_apply_constraints))


def _iter_weights(module, seen):
    """Yields ``(owner, key, tensor)`` in Keras order: own trainable weights, own
    non-trainable state, then each sub-layer's weights, without duplicates."""
    for registry in (module._parameters, module._buffers):
        for key, tensor in registry.items():
            if tensor is None or id(tensor) in seen:
                continue
            if registry is module._buffers and key in module._non_persistent_buffers_set:
                continue
            seen.add(id(tensor))
            yield module, key, tensor
    for child in module._modules.values():
        if child is not None:
            yield from _iter_weights(child, seen)


class LayerWeightsMixin:
    """Weight creation and bookkeeping of :class:`torch_keraslike.Layer`."""

    # Maps a weight's attribute name to the permutation from its stored layout to
    # Keras's layout (e.g. a conv kernel stored (out, in, kh, kw) is (kh, kw, in, out)
    # in Keras), used by get_weights/set_weights.
    _keras_weight_layouts = {}

    # ------------------------------------------------------------ add_weight
    def add_weight(
        self,
        shape=None,
        initializer=None,
        dtype=None,
        trainable=True,
        name=None,
        regularizer=None,
        constraint=None,
    ):
        """Creates a weight, registers it with the module and returns it.

        Trainable weights are ``torch.nn.Parameter``s; ``trainable=False`` state is a
        buffer (optimizers never see it, DDP broadcasts it). Assign the result to an
        attribute: its ``state_dict`` key is the attribute name.

        Args:
            shape: tuple of ints; ``None`` gives a scalar.
            initializer: Keras name (``"glorot_uniform"``...), ``Initializer`` or a
                callable ``(shape, dtype) -> tensor``. Default ``glorot_uniform`` for
                floating dtypes, ``zeros`` otherwise.
            dtype: dtype of the weight; defaults to the layer's dtype.
            trainable: Parameter (True) or buffer (False).
            name: key used until the weight is assigned to an attribute.
            regularizer: Keras name or callable; its value joins ``layer.losses``.
            constraint: Keras name or callable applied after each optimizer step.

        Returns:
            The materialised ``torch.nn.Parameter`` or buffer tensor.
        """
        from . import constraints, initializers, regularizers, variables

        state = vars(self)
        if state.get("built") and not state.get("_tkl_building"):
            raise ValueError(_STATE_AFTER_BUILD_WEIGHT.format(name=self.name, weight=name or "variable"))
        shape = self._check_weight_shape(shape, name)
        dtype = to_torch_dtype(dtype, context=f'dtype of weight {name!r} of layer "{self.name}"')
        dtype = dtype or self._tkl_dtype
        floating = dtype.is_floating_point or dtype.is_complex
        if trainable and not floating:
            raise ValueError(
                f'Layer "{self.name}": weight {name!r} has dtype {dtype} and trainable=True, '
                "but only floating weights can be trained. Fix: pass trainable=False for "
                "integer state (it becomes a buffer)."
            )
        init = initializers.get(initializer if initializer is not None else (
            "glorot_uniform" if floating else "zeros"))
        device = self._tkl_device
        if trainable:
            holder = UninitializedParameter(
                requires_grad=self._trainable, device=device, dtype=dtype
            )
        else:
            holder = UninitializedBuffer(requires_grad=False, device=device, dtype=dtype)
        with torch.no_grad():
            holder.materialize(shape)
        if holder.device.type != "meta":  # on meta: shapes only, a loaded file gives values
            self._initialize_weight(holder, init, shape, dtype, name)
        key = self._free_weight_key(name or "variable")
        path = state["_tkl_weight_paths"][key] = self._tkl_weight_path(name or key)
        variables.annotate(holder, path)
        if trainable:
            self._parameters[key] = holder
        else:
            self._buffers[key] = holder
        # (key, adopted by an attribute, named by the caller)
        state["_tkl_weight_ids"][id(holder)] = (key, False, name is not None)
        meta = {
            "regularizer": regularizers.get(regularizer),
            "constraint": constraints.get(constraint),
            "initializer": init,  # replayed by reset_parameters()
        }
        state["_tkl_weight_meta"][key] = meta
        if meta["constraint"] is not None:
            _CONSTRAINED_LAYERS.add(self)
            _install_constraint_hook()
        return holder

    def _tkl_weight_path(self, name):
        """Keras's variable path: the layers being built or called around this one
        (``multi_head_attention/query``), this layer, then the weight's name."""
        names, last = [], None
        for layer in [*CALL_CONTEXT.scope, self]:
            if layer is not last:  # a layer both called and built appears once
                names.append(layer.name)
            last = layer
        return "/".join([*names, name])

    def _initialize_weight(self, holder, init, shape, dtype, name):
        """Fills a new weight from its initializer (a name's object or a callable)."""
        from . import initializers

        with torch.no_grad():
            if isinstance(init, initializers.Initializer):
                value = init(shape, dtype=dtype, device=holder.device)
            else:
                value = torch.as_tensor(init(shape, dtype))
            if tuple(value.shape) != shape:
                raise ValueError(
                    f'Layer "{self.name}": the initializer of weight {name!r} returned shape '
                    f"{tuple(value.shape)}, expected {shape}. Fix: the initializer must "
                    "return a tensor of exactly the shape it is given."
                )
            holder.copy_(value)

    def _check_weight_shape(self, shape, name):
        if shape is None:
            return ()
        try:
            shape = tuple(shape)
            valid = all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in shape)
        except TypeError:
            valid = False
        if not valid:
            raise ValueError(
                f'Layer "{self.name}": weight {name!r} needs a fully defined shape of '
                f"non-negative ints, received shape={shape!r}. Fix: take sizes from "
                "input_shape in build(), e.g. shape=(input_shape[-1], units); the batch "
                "axis (None) cannot size a weight."
            )
        return tuple(int(d) for d in shape)

    def _free_weight_key(self, name):
        key, counter = name, 1
        while key in self._parameters or key in self._buffers or key in self.__dict__ or key in self._modules:
            key, counter = f"{name}_{counter}", counter + 1
        return key

    def _tkl_adopt_weight(self, name, value):
        """Re-keys a weight made by ``add_weight`` under the attribute it is assigned to.

        Returns True when the assignment was fully handled here.
        """
        ids = self._tkl_weight_ids
        old, adopted, named = ids[id(value)]
        if not adopted:
            paths = self._tkl_weight_paths
            path = paths.pop(old)
            if not named:  # unnamed weights take the attribute's name in their path too
                from .variables import annotate

                path = self._tkl_weight_path(name)
                annotate(value, path)
            paths[name] = path
        if old == name:
            ids[id(value)] = (name, True, named)
            return False
        if adopted:
            # A second attribute for the same weight: an alias, not a second state entry.
            object.__setattr__(self, name, value)
            return True
        registry = self._parameters if old in self._parameters else self._buffers
        del registry[old]
        self.__dict__.pop(name, None)
        if registry is self._parameters:
            nn.Module.__setattr__(self, name, value)
        else:
            self.register_buffer(name, value)
        if old in self._tkl_weight_meta:
            self._tkl_weight_meta[name] = self._tkl_weight_meta.pop(old)
        ids[id(value)] = (name, True, named)
        return True

    # ---------------------------------------------------------- weight lists
    @property
    def weights(self):
        """All weights, Keras order: own trainable, own non-trainable, sub-layers'."""
        return [w for _, _, w in _iter_weights(self, set())]

    @property
    def trainable_weights(self):
        """Weights updated by training: Parameters with ``requires_grad``."""
        return [w for w in self.weights if isinstance(w, nn.Parameter) and w.requires_grad]

    @property
    def non_trainable_weights(self):
        """Frozen Parameters and the non-trainable state (buffers)."""
        return [w for w in self.weights if not (isinstance(w, nn.Parameter) and w.requires_grad)]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self):
        """Whether training updates this layer. Setting it freezes/unfreezes the layer and
        all its sub-layers (Parameters get ``requires_grad`` accordingly)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        for module in self.modules():
            if isinstance(module, LayerWeightsMixin):
                vars(module)["_trainable"] = value
            for parameter in module._parameters.values():
                if parameter is not None:
                    parameter.requires_grad_(value)

    def count_params(self):
        """Number of scalars in all weights. The layer must be built."""
        self._require_built("count_params")
        return sum(w.numel() for w in self.weights)

    def _unbuilt_layer_names(self):
        """Names of the layers in this tree (itself included) that are not built yet and
        may still create weights: a layer with no build() of its own (a container such
        as a GAN model that only calls its sub-models) never does."""
        return [m.name for m in self.modules()
                if isinstance(m, LayerWeightsMixin) and not m.built and m._tkl_builds_weights]

    def _require_built(self, method):
        unbuilt = self._unbuilt_layer_names()
        if unbuilt:
            raise ValueError(
                f'You called {method}() on layer "{self.name}", but the layer is not built '
                f"yet (unbuilt: {unbuilt}). Fix: build it first with "
                "layer.build(input_shape), or call it once on a batch of inputs."
            )

    def get_weights(self):
        """Returns the weights as NumPy arrays in Keras's order and layouts."""
        arrays = []
        for owner, key, tensor in _iter_weights(self, set()):
            array = tensor.detach()
            if array.dtype == torch.bfloat16:
                array = array.float()
            permutation = getattr(owner, "_keras_weight_layouts", {}).get(key)
            if permutation is not None:
                array = array.permute(permutation)
            arrays.append(array.cpu().numpy().copy())
        return arrays

    def set_weights(self, weights):
        """Sets the weights from NumPy arrays in Keras's order and layouts.

        All shapes are checked before anything is written, so a bad list changes nothing.
        """
        targets = list(_iter_weights(self, set()))
        weights = list(weights)
        if len(weights) != len(targets):
            raise ValueError(
                f'You called `set_weights(weights)` on layer "{self.name}" with a weight list '
                f"of length {len(weights)}, but the layer was expecting {len(targets)} weights. "
                "Fix: pass the list returned by get_weights() of a layer with the same "
                "configuration, built on the same input shape."
            )
        prepared = []
        for (owner, key, tensor), value in zip(targets, weights):
            value = torch.as_tensor(np.asarray(value))
            if value.is_complex() and not tensor.is_complex():
                raise ValueError(
                    f'You called `set_weights(weights)` on layer "{self.name}" with a complex '
                    f"array ({value.dtype}) for weight {key!r} of "
                    f'"{getattr(owner, "name", type(owner).__name__)}", which is {tensor.dtype}. '
                    "Casting would drop the imaginary part. Fix: pass real arrays (e.g. "
                    "np.real(w) if the imaginary part is zero)."
                )
            permutation = getattr(owner, "_keras_weight_layouts", {}).get(key)
            stored = tuple(tensor.shape)
            expected = tuple(stored[p] for p in permutation) if permutation else stored
            if tuple(value.shape) != expected:
                raise ValueError(
                    f"Layer {self.name} weight shape {expected} is not compatible with "
                    f"provided weight shape {tuple(value.shape)} (weight {key!r} of "
                    f'"{getattr(owner, "name", type(owner).__name__)}"). Fix: pass arrays in '
                    "Keras's layout and order, as get_weights() returns them."
                )
            if permutation:
                value = value.permute(tuple(np.argsort(permutation)))
            prepared.append((tensor, value))
        with torch.no_grad():
            for tensor, value in prepared:
                tensor.copy_(value.to(dtype=tensor.dtype, device=tensor.device))

    # ----------------------------------------------------------------- losses
    def add_loss(self, loss):
        """Adds a loss tensor (e.g. an activity penalty) to ``layer.losses``.

        Losses from an older top-level call are dropped, as in Keras.
        """
        from .symbolic import is_fake

        if is_fake(loss):
            return  # shape inference of a functional model: no real value to keep
        state = vars(self)
        if torch.compiler.is_compiling():
            # Compiled calls keep the latest loss per layer (no epoch counter in graphs).
            state["_losses"] = [torch.as_tensor(loss)]
            return
        epoch = CALL_CONTEXT.epoch
        if state["_losses_epoch"] != epoch:
            state["_losses"] = []
            state["_losses_epoch"] = epoch
        state["_losses"].append(torch.as_tensor(loss))

    @property
    def losses(self):
        """Losses of the latest call (``add_loss``) plus the weight regularizers'."""
        return LossCollector(self)()

    # ---------------------------------------------------------- initialization
    def reset_parameters(self):
        """Re-initializes this layer's own weights with their Keras initializers (the
        sub-layers have their own ``reset_parameters``), as torch's modules do: after
        ``to_empty(device=...)`` of a model built on the ``meta`` device, calling it on
        every module gives real initial values (torch's large-model and FSDP recipe)."""
        for key, meta in self._tkl_weight_meta.items():
            tensor = self._parameters.get(key, self._buffers.get(key))
            init = meta.get("initializer")
            if tensor is None or init is None:
                continue
            if tensor.is_meta:
                raise ValueError(
                    f'Layer "{self.name}": weight {key!r} is on the meta device (a shape without '
                    "memory), so it cannot be initialized. Fix: allocate it first with "
                    "layer.to_empty(device='cpu') (or 'cuda'), then call reset_parameters()."
                )
            self._initialize_weight(tensor, init, tuple(tensor.shape), tensor.dtype, key)

    # ------------------------------------------------------------ state dict
    _save_to_state_dict = nn.Module._save_to_state_dict

    def state_dict(self, *args, **kwargs):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("torch.distributed.checkpoint") and self._unbuilt_layer_names():
            # A distributed checkpoint loads into the tensors this returns: an unbuilt
            # model has none, so nothing would be loaded, silently.
            raise ValueError(
                f'torch.distributed.checkpoint asked model "{self.name}" for its state_dict, but '
                f"layers {self._unbuilt_layer_names()} are not built, so they have no weights to "
                "load into. Fix: build the model first (model.build(input_shape), a Keras Input, "
                "or one call on a batch), then load the checkpoint."
            )
        return super().state_dict(*args, **kwargs)

    def get_extra_state(self):
        """The build configuration travels in ``state_dict()`` under ``_extra_state``, as
        a ``uint8`` tensor of its JSON text (empty before build), so that every tool that
        expects tensors in a state dict (safetensors, ONNX export, distributed
        checkpoints) takes it."""
        return encode_build_config(self.get_build_config())

    def set_extra_state(self, state):
        if not self.built:  # a built layer keeps its own configuration
            config = decode_build_config(state)
            if config:
                self.build_from_config(config)

    def _lazy_load_hook(self, state_dict, prefix, *args):
        # torch's lazy-module load pre-hook: an unbuilt layer builds from the
        # checkpoint's build configuration before its weights are loaded.
        if not self.built:
            config = decode_build_config(state_dict.get(prefix + "_extra_state"))
            if config:
                self.build_from_config(config)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """``nn.Module.load_state_dict``, plus: builds unbuilt layers from the
        checkpoint's build configuration, and checks every key and shape before
        anything is written, so a mismatched checkpoint leaves the layer unchanged."""
        with _module_state.restored_on_error(self):
            _build_from_state_dict(self, state_dict, "")
            # Validate and convert everything first: once the copy starts, it cannot fail
            # half way and leave some weights overwritten.
            problems, prepared = _prepare_state_dict(self, state_dict, strict, assign)
            if problems:
                raise StateDictMismatchError(
                    f'Error(s) loading state_dict into layer "{self.name}":\n  '
                    + "\n  ".join(problems)
                    + "\nFix: load a checkpoint saved from the same architecture and input "
                    "shape; pass strict=False to ignore missing/unexpected keys."
                )
            return super().load_state_dict(prepared, strict=strict, assign=assign)

    # ------------------------------------------------------------ parameters
    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        unbuilt = self._unbuilt_layer_names()
        if unbuilt and not torch.compiler.is_compiling():
            warnings.warn(
                UnbuiltLayerWarning(_UNBUILT_PARAMETERS.format(name=self.name, unbuilt=unbuilt)),
                stacklevel=3,
            )
        return super().named_parameters(prefix=prefix, recurse=recurse, remove_duplicate=remove_duplicate)


class LossCollector:
    """Collects ``layer.losses`` of a layer tree: the ``add_loss``/activity losses of the
    latest top-level call, plus the regularizer values of trainable weights. The tree is
    walked once, at construction, so a training loop can call it at every step."""

    def __init__(self, root):
        self.modules = [m for m in root.modules() if isinstance(m, LayerWeightsMixin)]
        self.regularized = [
            (module, key, meta["regularizer"]) for module in self.modules
            for key, meta in module._tkl_weight_meta.items() if meta["regularizer"] is not None
        ]

    def __call__(self):
        epochs = [m._losses_epoch for m in self.modules if m._losses]
        latest = max(epochs) if epochs else None
        losses = [loss for m in self.modules if m._losses and m._losses_epoch == latest for loss in m._losses]
        for module, key, regularizer in self.regularized:
            weight = module._parameters.get(key)
            if weight is not None and weight.requires_grad:
                losses.append(regularizer(weight))
        return losses


def encode_build_config(config):
    """A build configuration (JSON values) as a ``uint8`` tensor of its JSON text."""
    if not config:
        return torch.zeros(0, dtype=torch.uint8)
    return torch.frombuffer(bytearray(json.dumps(config, sort_keys=True).encode()), dtype=torch.uint8)


def decode_build_config(value):
    """The build configuration of an ``_extra_state`` entry: the tensor written by
    :func:`encode_build_config`, or the dict older checkpoints held."""
    if value is None or isinstance(value, dict):
        return value or None
    if isinstance(value, torch.Tensor):
        if value.numel() == 0 or value.is_meta:
            return None
        if value.dtype != torch.uint8 or value.dim() != 1:
            raise ValueError(
                f"An _extra_state entry must be the uint8 JSON text of a build configuration, "
                f"received a {value.dtype} tensor of shape {tuple(value.shape)}. Fix: load a "
                "state dict written by torch_keraslike's state_dict()."
            )
        try:
            return json.loads(bytes(value.cpu().numpy()).decode())
        except (UnicodeDecodeError, ValueError) as error:
            raise ValueError(f"An _extra_state entry holds no valid build configuration ({error}).") from None
    raise ValueError(f"An _extra_state entry must be a tensor or a dict, received {type(value).__name__}.")


def _build_from_state_dict(module, state_dict, prefix):
    if isinstance(module, LayerWeightsMixin) and not module.built:
        config = decode_build_config(state_dict.get(prefix + "_extra_state"))
        if config:
            module.build_from_config(config)
    for name, child in module._modules.items():
        if child is not None:
            _build_from_state_dict(child, state_dict, f"{prefix}{name}.")


def _prepare_state_dict(module, state_dict, strict, assign):
    """Problems of ``state_dict`` for ``module`` (missing/unexpected keys, wrong types,
    shapes, complex or data-less values), and a copy of it whose tensors already have
    the dtype and device of the weights they go to, so the copy itself cannot fail."""
    expected = nn.Module.state_dict(module, keep_vars=True)
    problems, prepared = [], dict(state_dict)
    for key, current in expected.items():
        if key not in state_dict:
            if strict:
                problems.append(f"missing key {key!r}")
            continue
        given = state_dict[key]
        if not isinstance(current, torch.Tensor) or key.endswith("_extra_state"):
            continue  # build configurations: used above, their size is their text's
        if not isinstance(given, torch.Tensor):
            problems.append(
                f"value for {key!r} is a {type(given).__name__}, expected a torch.Tensor "
                f"of shape {tuple(current.shape)}"
            )
        elif tuple(current.shape) != tuple(given.shape):
            problems.append(
                f"size mismatch for {key!r}: expected shape {tuple(current.shape)}, "
                f"received shape {tuple(given.shape)}"
            )
        elif given.is_complex() and not current.is_complex():
            problems.append(f"value for {key!r} is complex ({given.dtype}), but the weight is {current.dtype}")
        elif given.is_meta and not current.is_meta:
            problems.append(f"value for {key!r} is a meta tensor (a shape without data)")
        elif not assign and (given.dtype != current.dtype or given.device != current.device):
            try:
                prepared[key] = given.to(dtype=current.dtype, device=current.device)
            except RuntimeError as error:
                problems.append(f"value for {key!r} cannot be converted to {current.dtype} on "
                                f"{current.device}: {str(error).splitlines()[0]}")
    if strict:
        problems += [f"unexpected key {key!r}" for key in state_dict if key not in expected]
    return problems, prepared

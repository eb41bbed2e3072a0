"""``Layer``: Keras's layer contract on top of ``torch.nn.Module``.

A ``Layer`` is an ordinary ``torch.nn.Module`` that follows torch's lazy-module
protocol (``LazyModuleMixin``): it creates its weights in ``build(input_shape)`` the
first time it is called, through ``UninitializedParameter``/``UninitializedBuffer``
materialisation on the layer's placement. On top of that it adds what Keras users
rely on: ``add_weight``, ``InputSpec`` checks with Keras's messages, NumPy inputs,
``training`` propagation, ``get_config``, ``get_weights`` and friends.

Example:
    >>> import torch, torch_keraslike as tkl
    >>> class SimpleDense(tkl.Layer):
    ...     def __init__(self, units=32, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.units = units
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1], self.units))
    ...         self.b = self.add_weight(shape=(self.units,), initializer="zeros")
    ...     def call(self, inputs):
    ...         return inputs @ self.w + self.b
    >>> SimpleDense(4)(torch.ones(2, 2)).shape
    torch.Size([2, 4])
"""

import functools
import inspect
import threading

import numpy as np
import torch
from torch import nn
from torch.nn.modules import module as _torch_module
from torch.nn.modules.lazy import LazyModuleMixin

from . import _module_state, dtype_policies, symbolic
from ._build_context import BUILD_CONTEXT, META
from ._call_context import CALL_CONTEXT, next_epoch
from ._dtypes import dtype_name
from ._layer_weights import LayerWeightsMixin, StateDictMismatchError, UnbuiltLayerWarning
from ._masking import MaskingMixin, call_mask_arguments, get_mask, mask_of, set_mask
from ._naming import to_snake_case, unique_name
from .input_spec import InputSpec, assert_input_compatibility
from .variables import annotate, is_annotated

__all__ = ["Layer", "StateDictMismatchError", "UnbuiltLayerWarning"]

_FORGOT_SUPER_INIT = """\
{cls}.__init__() did not call super().__init__(), so the layer is not set up.
Every Layer subclass must call it first thing in __init__:

    class {cls}(tkl.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)   # <- add this line
            self.units = units
"""

_STATE_AFTER_BUILD = """\
Layer "{name}" is already built, and {what} after build() is not allowed: \
all state must be created in __init__() or build().
Wrong:
    def call(self, x):
        self.w = self.add_weight(shape=(x.shape[-1], 4))   # created on every call
Right:
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 4))
"""

_NON_TENSOR_POSITIONAL = """\
Layer "{name}" received a non-tensor positional argument: {value!r} (of type \
{type}). Only input tensors may be passed as positional arguments; the following \
argument value should be passed as a keyword argument: {value!r}.
Wrong: layer(x, True)
Right: layer(x, training=True)"""

_COMPLEX_INPUT = """\
Layer "{name}" ({cls}) received a complex input of dtype {dtype}, but it computes in \
{layer_dtype}: complex values have no meaning for its real weights, and casting would drop \
the imaginary part. Fix: pass x.real, x.abs() or torch.view_as_real(x), or create the \
layer with dtype="complex64" if it supports complex weights."""

_PLACEMENT = """\
Layer "{name}" ({cls}) received an input on device {input_device}, but its weights are on \
{weight_device}: {why}
Fix: {fix}"""

_EXPORT_UNBUILT = """\
Layer "{name}" ({cls}) is not built, and torch.export is tracing it: its weights would be \
created inside the trace and exported as random constants, not as parameters. Build it \
before exporting:
    layer(example_input)            # or layer.build(example_input.shape)
    torch.export.export(layer, (example_input,))"""

# torch's own module-call machinery only needs its slow path when some hook is set.
_global_forward_pre_hooks = _torch_module._global_forward_pre_hooks
_global_forward_hooks = _torch_module._global_forward_hooks
_global_backward_hooks = _torch_module._global_backward_hooks
_global_backward_pre_hooks = _torch_module._global_backward_pre_hooks

# One lock for every build: builds are rare, and a single reentrant lock cannot
# deadlock when a build builds its sub-layers.
_BUILD_LOCK = threading.RLock()


def _concrete_shape(shape):
    # Under torch.compile with dynamic shapes, sizes are SymInts; weights need ints.
    return tuple(None if d is None else int(d) for d in shape)


def _shapes_of(value):
    """Nested structure of shapes (tuples of ints) of a nested structure of tensors."""
    if isinstance(value, (list, tuple)):
        return type(value)(_shapes_of(v) for v in value) if type(value) in (list, tuple) else [
            _shapes_of(v) for v in value
        ]
    if isinstance(value, dict):
        return {k: _shapes_of(v) for k, v in value.items()}
    shape = getattr(value, "shape", None)
    return None if shape is None else _concrete_shape(shape)


def _first_tensor(value):
    return next((t for t in symbolic.flatten(value) if isinstance(t, torch.Tensor)), None)


def _is_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _all_numbers(value):
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(_all_numbers(v) for v in value)
    return _is_number(value)


def _call_parameters(cls):
    try:
        return inspect.signature(cls.call).parameters
    except (TypeError, ValueError):
        return {}


class _LayerMeta(type):
    """Runs the steps that must follow the *whole* constructor of any subclass."""

    def __new__(mcs, name, bases, namespace, **kwargs):
        # Keras users override ``call``, PyTorch users ``forward``: either one is both.
        if "call" in namespace and "forward" not in namespace:
            namespace["forward"] = namespace["call"]
        elif "forward" in namespace and "call" not in namespace:
            namespace["call"] = namespace["forward"]
        if "build" in namespace:
            namespace["build"] = _wrap_build(namespace["build"])
        cls = super().__new__(mcs, name, bases, namespace, **kwargs)
        # Class attributes: under torch.compile they cost no guard of their own.
        cls._tkl_call_takes_training = "training" in _call_parameters(cls)
        cls._tkl_call_takes_mask, cls._tkl_named_mask_args = call_mask_arguments(cls)
        cls._tkl_computes_mask = cls.compute_mask is not MaskingMixin.compute_mask
        if "_tkl_masks_from_inputs" not in namespace:
            # Whether compute_mask may make a mask when no input carries one (Embedding,
            # Masking); layers that only transform incoming masks (merging, pooling,
            # recurrent) say False, so their symbolic calls skip the mask inference.
            cls._tkl_masks_from_inputs = cls._tkl_computes_mask and (
                "compute_mask" in namespace or getattr(bases[0], "_tkl_masks_from_inputs", True))
        cls._tkl_fills_masks = cls._tkl_call_takes_mask or bool(cls._tkl_named_mask_args)
        # Whether the class (or a base below Layer) defines build(), so that an unbuilt
        # instance may still create weights (Layer's own default build creates none).
        cls._tkl_builds_weights = "build" in namespace or any(
            getattr(base, "_tkl_builds_weights", False) for base in bases)
        if "supports_masking" in namespace:
            cls._tkl_masking_explicit = True
        elif not getattr(cls, "_tkl_masking_explicit", False):
            # As in Keras: a layer that computes masks supports them.
            cls.supports_masking = cls._tkl_computes_mask
        return cls

    def __call__(cls, *args, **kwargs):
        layer = super().__call__(*args, **kwargs)
        if "_tkl_ready" not in layer.__dict__:
            raise TypeError(_FORGOT_SUPER_INIT.format(cls=cls.__name__))
        layer._tkl_record_init_args(args, kwargs)
        if layer._tkl_init_input_shape is not None:
            layer.build((None,) + tuple(layer._tkl_init_input_shape))
        elif cls.build_at_init and cls.build is Layer.build:
            # As Keras: a layer with no state to create (and no build of its own) is
            # built as soon as it exists (``MaxPooling2D().built is True``).
            layer.built = True
        return layer


def _wrap_build(build):
    """Makes every ``build`` atomic, placed and recorded, also when called directly."""

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_tkl_building"):  # a ``super().build(...)`` inside a build
            return build(self, *args, **kwargs)
        with _BUILD_LOCK:
            if self.built:
                # Keras lets build() be called again on a built layer and it is a no-op
                # for the built-in layers; re-running a user build would duplicate state.
                return None
            shapes = args[0] if args else next(iter(kwargs.values()), None)
            with _module_state.restored_on_error(self):
                if BUILD_CONTEXT.meta and self._tkl_device is None:
                    # Loading a file: shapes only, checked against the file's tensors
                    # before any memory is allocated.
                    self._tkl_device = META
                self.__dict__["_tkl_building"] = True
                scope = CALL_CONTEXT.scope
                scope.append(self)  # the name scope of the weights (and sub-layers) made
                try:
                    # Weights are real even when the build is triggered by shape inference.
                    with symbolic.real_mode():
                        build(self, *args, **kwargs)
                finally:
                    scope.pop()
                    self.__dict__.pop("_tkl_building", None)
                self.built = True
                self._tkl_build_shapes = _freeze_shapes(shapes)
        return None

    wrapper._tkl_wrapped = True
    return wrapper


def _freeze_shapes(shapes):
    """Shapes as given to build, made JSON-friendly (lists) for the build config."""
    if isinstance(shapes, torch.Size):
        return list(shapes)
    if isinstance(shapes, (list, tuple)):
        return [_freeze_shapes(s) for s in shapes]
    if isinstance(shapes, dict):
        return {k: _freeze_shapes(v) for k, v in shapes.items()}
    return None if shapes is None else int(shapes)


def _thaw_shapes(shapes):
    """Inverse of :func:`_freeze_shapes`: lists of ints back to shape tuples."""
    if isinstance(shapes, dict):
        return {k: _thaw_shapes(v) for k, v in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        if all(s is None or isinstance(s, int) for s in shapes):
            return tuple(shapes)
        return [_thaw_shapes(s) for s in shapes]
    return shapes


class Layer(MaskingMixin, LayerWeightsMixin, LazyModuleMixin, nn.Module, metaclass=_LayerMeta):
    """Base class of all layers: a ``torch.nn.Module`` with Keras's layer semantics.

    Subclasses create weights in ``build(input_shape)`` with :meth:`add_weight` and
    compute in ``call(inputs, ...)`` (``forward`` is the same method).

    Args:
        name: layer name; defaults to the snake_case class name plus a per-session
            counter (``dense``, ``dense_1``...).
        trainable: whether the layer's weights are updated by training.
        dtype: dtype of the weights and of the computation (``"float32"``,
            ``torch.float64``...); floating inputs are cast to it. Defaults to
            ``torch.get_default_dtype()``.
        autocast: cast floating inputs to the layer's dtype (default True).
        activity_regularizer: regularizer applied to the layer's output.
        input_shape: shape of one sample (without batch); builds the layer with
            ``(None,) + input_shape`` as soon as it is constructed.

    Example:
        >>> import numpy as np, torch_keraslike as tkl
        >>> layer = tkl.layers.Dense(input_shape=(10,), units=15)
        >>> layer(np.random.rand(20, 10)).shape
        torch.Size([20, 15])
    """

    _allow_non_tensor_positional_args = False
    # Under a mixed dtype policy the layer's call runs in an autocast region; graph
    # containers (models) leave that to their layers.
    _tkl_policy_region = True
    # Layers that compute in floating point with their inputs (Dense, Conv, RNNs,
    # normalization) cast integer, bool and unsigned inputs to their compute dtype, as
    # Keras's ops promote them; shape-only layers (Reshape, Flatten...) keep the dtype.
    cast_integer_inputs = False
    # Layers without state (pooling, activations, dropout...) are built at construction,
    # as Keras builds them; a subclass that defines its own build() is not.
    build_at_init = False

    def __init__(
        self,
        *,
        name=None,
        trainable=True,
        dtype=None,
        autocast=True,
        activity_regularizer=None,
        input_shape=None,
        **kwargs,
    ):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected keyword argument(s) "
                f"{sorted(kwargs)}. Fix: remove them or check their spelling; the base "
                "Layer accepts name, trainable, dtype, autocast, activity_regularizer "
                "and input_shape."
            )
        if name is not None and not isinstance(name, str):
            raise TypeError(
                f"{type(self).__name__}: name must be a string, received {name!r} "
                f"(of type {type(name).__name__}). Fix: pass name='my_layer'."
            )
        if input_shape is not None and not (
            isinstance(input_shape, (tuple, list, torch.Size))
            and all(d is None or isinstance(d, int) for d in input_shape)
        ):
            raise ValueError(
                f"{type(self).__name__}: input_shape must be a tuple of ints (the shape of "
                f"one sample, without the batch axis), received {input_shape!r}. "
                "Fix: e.g. input_shape=(10,)."
            )
        policy, layer_dtype, compute_dtype = dtype_policies.resolve_layer_dtype(
            dtype, context=f"dtype of {type(self).__name__}")
        super().__init__()
        # Registered first, so the check runs before torch's lazy initialisation hook.
        self._tkl_spec_hook = self.register_forward_pre_hook(
            Layer._input_spec_pre_hook, with_kwargs=True, prepend=True
        )
        if activity_regularizer is not None:
            from . import regularizers

            activity_regularizer = regularizers.get(activity_regularizer)
        vars(self).update(
            name=name or unique_name(to_snake_case(type(self).__name__)),
            built=False,
            _trainable=bool(trainable),
            _tkl_dtype=layer_dtype,
            _tkl_compute_dtype=compute_dtype,
            _tkl_policy=policy,
            _tkl_autocast=bool(autocast),
            _tkl_device=None,
            _input_spec=None,
            _tkl_spec_check=None,
            _tkl_build_shapes=None,
            _tkl_init_input_shape=None if input_shape is None else tuple(input_shape),
            _tkl_init_config=None,
            _tkl_weight_meta={},
            _tkl_weight_ids={},
            _tkl_weight_paths={},
            _losses=[],
            _losses_epoch=0,
            activity_regularizer=activity_regularizer,
            _tkl_ready=True,
        )
        if policy is not None:
            dtype_policies.install(self, policy, explicit=dtype is not None)

    # ------------------------------------------------------------------ call
    def __call__(self, *args, **kwargs):
        # 1. Convert array-likes (NumPy, Python numbers and lists) to tensors and cast
        #    floating inputs to the compute dtype; the common cases (one tensor, or two
        #    and nothing else, as attention layers take) skip the walk.
        plain = (
            args
            and type(args[0]) is torch.Tensor
            and (args[0].dtype is self._tkl_compute_dtype or not (self._tkl_autocast or self.cast_integer_inputs))
            and (len(args) == 1 or (len(args) == 2 and not kwargs and type(args[1]) is torch.Tensor
                                    and args[1].dtype is args[0].dtype))
        )
        if not plain:
            args, kwargs = self._convert_inputs(args, kwargs)
            # 2. Symbolic inputs (``KerasTensor``s) take the functional-API path.
            if symbolic.has_keras_tensor(args, kwargs):
                return self._symbolic_call(args, kwargs)
        compiling = torch.compiler.is_compiling()
        if not compiling and self._compiled_call_impl is not None and "_initialize_hook" in self.__dict__:
            # After torch's ``module.compile()`` the whole call is traced; build eagerly
            # first, so weights are created outside the compiled region.
            self._infer_parameters(self, args, kwargs)
        # 3. Resolve ``training``: explicit argument, else the enclosing layer's call,
        #    else the running fit/evaluate/predict's mode, else torch's own
        #    ``self.training`` (``train()``/``eval()``).
        context = CALL_CONTEXT
        outer_training = context.training
        training = kwargs.pop("training", None) if "training" in kwargs else None
        if training is None:
            training = outer_training
            if training is None:
                training = context.default_training
                if training is None:
                    training = self.training
        if self._tkl_call_takes_training:
            kwargs["training"] = training
        if outer_training is None and not compiling:
            # A new top-level call: older losses go stale. (Not while tracing: a counter
            # read in compiled code would be guarded and force a recompile per call.)
            context.epoch = next_epoch()
        # 4. Masks (``_keras_mask`` on the inputs) fill ``call``'s ``mask`` arguments.
        first = args[0] if args else _first_input(self, args, kwargs)
        previous_mask = getattr(first, "_keras_mask", None)
        if self._tkl_fills_masks:
            previous_mask = self._tkl_fill_masks(first, args, kwargs, previous_mask)
        context.training = training
        try:
            # 5. Check the inputs against ``self.input_spec`` (a forward pre-hook).
            # 6. Build once (torch's lazy-module hook calls ``_maybe_build``).
            # 7. Run ``call``. Without foreign hooks, this is what nn.Module.__call__
            #    would do, minus its dispatch overhead.
            if (
                (compiling or self._compiled_call_impl is None)  # torch's module.compile()
                and len(self._forward_pre_hooks) == 1
                and not (self._forward_hooks or self._backward_hooks or self._backward_pre_hooks)
                and not (_global_forward_pre_hooks or _global_forward_hooks
                         or _global_backward_hooks or _global_backward_pre_hooks)
                and not torch._C._get_tracing_state()
            ):
                check = self._tkl_spec_check
                if check is not None:
                    check(first, self.name, 0)
                outputs = self.forward(*args, **kwargs)
            else:
                # The slow path, which also serves unbuilt layers: sub-layers built in
                # this call get this layer in their weights' paths, as in Keras.
                scope = context.scope
                scope.append(self)
                try:
                    outputs = nn.Module.__call__(self, *args, **kwargs)
                finally:
                    scope.pop()
        except NotImplementedError as error:  # (a RuntimeError: caught first)
            # A dtype torch has no kernel for ("... not implemented for 'Long'").
            self._raise_dtype_error(first, error)
            raise
        except RuntimeError as error:
            # Free unless raised: a kernel's device complaint becomes one that names
            # this layer, the devices and the fix.
            self._raise_placement_error(args, kwargs, error)
            raise
        finally:
            context.training = outer_training
        # 8. Output masks: ``compute_mask`` (the input's mask by default) is attached.
        if previous_mask is not None or self._tkl_computes_mask:
            self._tkl_output_masks(first, outputs, previous_mask)
        # 9. Activity regularization adds the output's penalty to ``losses``.
        if self.activity_regularizer is not None:
            self._add_activity_loss(outputs)
        return outputs

    def call(self, *args, **kwargs):
        """The layer's computation. Subclasses override it (or ``forward``)."""
        raise NotImplementedError(
            f'Layer "{self.name}" ({type(self).__name__}) does not implement call(). '
            "Fix: define `def call(self, inputs): ...` in the subclass."
        )

    forward = call

    def _symbolic_call(self, args, kwargs):
        """Builds the layer from symbolic shapes, infers its outputs, records the call."""
        with symbolic.symbolic_call_scope():
            first = _first_input(self, args, kwargs)
            if self._tkl_spec_check is not None:
                self._tkl_spec_check(first, self.name)
            self._maybe_build(first)
            previous_mask = mask_of(first)
            call_kwargs = kwargs
            if self._tkl_fills_masks:
                # Masks filled in for shape inference only: the recorded call leaves them out,
                # and each run fills them from the tensors it sees.
                call_kwargs = dict(kwargs)
                previous_mask = self._tkl_fill_masks(first, args, call_kwargs, previous_mask)
            outputs = self.compute_output_spec(*args, **call_kwargs)
            if previous_mask is not None or self._tkl_masks_from_inputs:
                self._tkl_symbolic_output_masks(first, outputs, previous_mask)
            symbolic.Node(self, args, kwargs, outputs)
            return outputs

    def _tkl_symbolic_output_masks(self, first, outputs, previous_mask):
        """Output masks of a symbolic call, as ``KerasTensor``s (inferred on fake
        tensors, like the outputs)."""
        if not self.supports_masking:
            self._tkl_output_masks(first, outputs, previous_mask)  # the warning
            return
        masks = symbolic.infer_output_spec(self.compute_mask, (first, previous_mask), {},
                                           device=self._tkl_device)
        if masks is not None:
            self._tkl_output_masks(first, outputs, previous_mask, masks)

    def compute_output_spec(self, *args, **kwargs):
        """Output ``KerasTensor``s for symbolic inputs.

        Uses :meth:`compute_output_shape` when the subclass defines it, otherwise runs
        ``call`` on fake tensors (no memory, no compute). Builds an unbuilt layer.
        """
        if type(self).compute_output_shape is not Layer.compute_output_shape and len(args) == 1 and not kwargs:
            shapes = self.compute_output_shape(_shapes_of(args[0]))
            # Floating inputs are cast to the layer's dtype, and weights make the output
            # take theirs (Embedding); otherwise (Reshape of ints) the input's dtype stays.
            input_dtype = next(t.dtype for t in symbolic.flatten(args[0]) if hasattr(t, "dtype"))
            computes = input_dtype.is_floating_point or bool(self._parameters)
            dtype = self._tkl_compute_dtype if self._tkl_autocast and computes else input_dtype
            return symbolic.map_shapes_to_keras(shapes, dtype)
        return self._infer_output_spec(args, kwargs)

    def _infer_output_spec(self, args, kwargs):
        self._maybe_build(_first_input(self, args, kwargs))
        kwargs = dict(kwargs)
        if self._tkl_call_takes_training:
            # Shape inference must not update state (BatchNormalization's moving
            # statistics): it always runs in inference mode. The recorded call keeps
            # the user's own ``training`` argument for real runs.
            kwargs["training"] = False
        return symbolic.infer_output_spec(self, args, kwargs, device=self._tkl_device)

    def compute_output_shape(self, input_shape):
        """Output shape(s) for an input shape (tuples, ``None`` for unknown sizes).

        Default: symbolic execution of ``call``; builds an unbuilt layer.
        """
        spec = self._infer_output_spec((symbolic.map_shapes_to_keras(input_shape, self._tkl_compute_dtype),), {})
        return symbolic.map_structure(lambda t: t.shape if isinstance(t, symbolic.KerasTensor) else t, spec)

    def _convert_inputs(self, args, kwargs):
        convert = self._convert_value
        args = tuple(convert(a, positional=True) for a in args)
        kwargs = {k: convert(v, positional=False) for k, v in kwargs.items()}
        return args, kwargs

    def _convert_value(self, value, positional):
        if isinstance(value, torch.Tensor):
            converted = value
            if value.is_floating_point():
                if self._tkl_autocast and value.dtype != self._tkl_compute_dtype:
                    converted = value.to(self._tkl_compute_dtype)
            elif self.cast_integer_inputs and positional:
                if value.is_complex() and not self._tkl_dtype.is_complex:
                    raise ValueError(_COMPLEX_INPUT.format(
                        name=self.name, cls=type(self).__name__, dtype=dtype_name(value.dtype),
                        layer_dtype=dtype_name(self._tkl_dtype)))
                converted = value.to(self._tkl_compute_dtype)
            if converted is not value:
                mask = get_mask(value)
                if mask is not None:  # the cast copy describes the same steps
                    set_mask(converted, mask)
            return converted
        if isinstance(value, np.ndarray) or (positional and _all_numbers(value)):
            return self._convert_value(self._array_to_tensor(value), positional)
        if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
            return type(value)(self._convert_value(v, positional) for v in value)
        if isinstance(value, dict):
            return {k: self._convert_value(v, positional) for k, v in value.items()}
        if (
            positional
            and value is not None
            and not hasattr(value, "shape")  # symbolic tensors pass through
            and not self._allow_non_tensor_positional_args
        ):
            raise ValueError(
                _NON_TENSOR_POSITIONAL.format(name=self.name, value=value, type=type(value).__name__)
            )
        return value

    def _array_to_tensor(self, value):
        try:
            array = np.asarray(value)
            if array.dtype.kind in "OUSV":
                raise TypeError(f"arrays of dtype {array.dtype} have no tensor equivalent")
            tensor = torch.as_tensor(array)
        except (TypeError, ValueError, RuntimeError) as error:
            raise ValueError(
                f'Layer "{self.name}" could not convert an input of type '
                f"{type(value).__name__} to a tensor: {error}. Fix: pass a torch.Tensor or "
                "a NumPy array of numbers."
            ) from None
        return tensor.to(self._tkl_device) if self._tkl_device is not None else tensor

    @staticmethod
    def _input_spec_pre_hook(module, args, kwargs):
        check = module._tkl_spec_check
        if check is not None:
            check(_first_input(module, args, kwargs), module.name)

    def _raise_placement_error(self, args, kwargs, error=None):
        """Raises a clear error when the inputs and the weights live on different
        devices (``meta`` included), chained to the kernel's ``error``; returns otherwise."""
        inputs = [t for t in symbolic.flatten((args, kwargs)) if isinstance(t, torch.Tensor)]
        weights = [t for m in self.modules() for t in (*m._parameters.values(), *m._buffers.values())
                   if t is not None and not symbolic.is_fake(t)]
        if not inputs or not weights or symbolic.is_fake(inputs[0]):
            return
        input_device, weight_device = inputs[0].device, weights[0].device
        if input_device == weight_device:
            return
        if weight_device.type == "meta":
            why = ("the layer was built on the meta device (shapes only, no values), so it "
                   "cannot compute on real data.")
            fix = (f"materialise the weights first, e.g. layer.to_empty(device={str(input_device)!r}) "
                   "then load a state dict (or call reset_parameters()).")
        elif input_device.type == "meta":
            why = "a shape-only (meta) input cannot be combined with real weights."
            fix = (f"pass an input on {weight_device}, or build a separate copy of the layer on "
                   "meta inputs to compute shapes only.")
        else:
            why = "inputs and weights must be on the same device."
            fix = f"move the input with x.to({str(weight_device)!r}), or the layer with layer.to({str(input_device)!r})."
        raise RuntimeError(_PLACEMENT.format(
            name=self.name, cls=type(self).__name__, input_device=input_device,
            weight_device=weight_device, why=why, fix=fix)) from error

    def _raise_dtype_error(self, first, error):
        """Raises a clear ``TypeError`` when a kernel has no implementation for the
        input's dtype; returns otherwise."""
        first = _first_tensor(first)
        if "not implemented for" not in str(error) or first is None:
            return
        raise TypeError(
            f'Layer "{self.name}" ({type(self).__name__}) cannot compute on inputs of dtype '
            f"{dtype_name(first.dtype)} on {first.device}: torch has no kernel for it ({error}). "
            f"Fix: cast the input to a floating dtype first, e.g. x.to(torch.{dtype_name(self._tkl_compute_dtype)})."
        ) from error

    def _add_activity_loss(self, outputs):
        tensor = _first_tensor(outputs)
        if tensor is not None and not symbolic.is_fake(tensor):
            batch = tensor.shape[0] if tensor.dim() else 1
            self.add_loss(self.activity_regularizer(tensor) / batch)

    # ----------------------------------------------------------------- build
    @property
    def input_spec(self):
        """The :class:`InputSpec` (or list of specs) every call is checked against."""
        return self._input_spec

    @input_spec.setter
    def input_spec(self, spec):
        if spec is not None and not isinstance(spec, (InputSpec, list, tuple, dict)):
            raise TypeError(
                f'Layer "{self.name}": input_spec must be an InputSpec, a list of them or '
                f"None, received {spec!r}. Fix: self.input_spec = tkl.InputSpec(min_ndim=2)."
            )
        if isinstance(spec, InputSpec):
            check = spec._make_checker()
        elif spec:
            for item in symbolic.flatten(spec):
                if isinstance(item, InputSpec) and item._checker is None:
                    # Built now, not lazily inside a (possibly compiled) call.
                    object.__setattr__(item, "_checker", item._make_checker())

            def check(inputs, layer_name, index=0, _spec=spec):
                assert_input_compatibility(_spec, inputs, layer_name)
        else:
            check = None
        vars(self).update(_input_spec=spec, _tkl_spec_check=check)

    def compile(self, *args, **kwargs):
        """torch's ``nn.Module.compile``: compiles this module's call in place.

        As with ``tkl.function``, an exception raised by the layer while tracing (such
        as an ``InputSpec`` error under ``fullgraph=True``) surfaces as itself.
        """
        from .graph import call_with_eager_errors

        nn.Module.compile(self, *args, **kwargs)
        compiled, eager = self._compiled_call_impl, self._call_impl
        self._compiled_call_impl = lambda *a, **k: call_with_eager_errors(compiled, eager, a, k)

    def __getstate__(self):
        # The cached spec checker is a closure (not picklable); it is rebuilt on load.
        state = dict(self.__dict__)
        state["_tkl_spec_check"] = None
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.input_spec = self._input_spec
        self._tkl_annotate_weights()  # copies and unpickled weights get their Keras API

    def _tkl_annotate_weights(self):
        """Re-binds the Keras variable API of this layer's own weights that torch
        replaced by new tensor objects."""
        paths = vars(self).get("_tkl_weight_paths", {})
        for registry in (self._parameters, self._buffers):
            for key, tensor in registry.items():
                if tensor is not None and key in paths and not is_annotated(tensor):
                    annotate(tensor, paths[key])

    def build(self, input_shape):
        """Creates the layer's state. Default: no weights of its own.

        Args:
            input_shape: shape of the first input as a tuple of ints (``None`` for
                unknown dimensions), or a nested structure of them.
        """
        self.built = True

    def initialize_parameters(self, *args, **kwargs):
        """torch's lazy-module entry point: builds from the first call's inputs.

        torch.compile calls this with fake tensors before running forward pre-hooks,
        so the input spec is checked here too.
        """
        first = _first_input(self, args, kwargs)
        if not self.built and self._tkl_spec_check is not None:
            self._tkl_spec_check(first, self.name)
        self._maybe_build(first)

    def _maybe_build(self, inputs):
        """Builds the layer from the shapes of ``inputs``, exactly once."""
        if self.built:
            return
        if torch.compiler.is_exporting():
            raise ValueError(_EXPORT_UNBUILT.format(name=self.name, cls=type(self).__name__))
        with _BUILD_LOCK:
            if self.built:
                return
            if self._tkl_device is None:
                tensor = _first_tensor(inputs)
                if tensor is not None and not symbolic.is_fake(tensor):
                    # A first input on ``meta`` builds a shape-only layer, as torch's
                    # meta-device workflow expects (``to_empty`` materialises it later).
                    self._tkl_device = tensor.device
            self.build(_shapes_of(inputs))

    def _infer_parameters(self, module, args, kwargs=None):
        # torch's version, made safe for concurrent first calls (a second thread may
        # reach here after the first has already removed the hooks).
        was_built = self.built  # read before waiting: another thread may be building
        with _BUILD_LOCK:
            self.initialize_parameters(*args, **(kwargs or {}))
            if not was_built and self._tkl_spec_check is not None:
                # The build this call made or waited for may have set the spec: a call
                # racing the first one with other shapes is checked against it.
                self._tkl_spec_check(_first_input(self, args, kwargs or {}), self.name)
            if "_initialize_hook" in vars(self):
                self._initialize_hook.remove()
                self._load_hook.remove()
                del self._initialize_hook
                del self._load_hook

    def has_uninitialized_params(self):
        return not self.built

    def get_build_config(self):
        """Returns ``{"input_shape": ...}`` for a built layer, else None."""
        if not self.built or self._tkl_build_shapes is None:
            return None
        return {"input_shape": self._tkl_build_shapes}

    def build_from_config(self, config):
        """Builds the layer from :meth:`get_build_config`'s output."""
        if config and not self.built:
            self.build(_thaw_shapes(config["input_shape"]))

    # ------------------------------------------------------------- placement
    def _apply(self, fn, recurse=True):
        # ``.to()``, ``.cuda()``, ``.double()``... reach modules only through ``_apply``.
        # Applying ``fn`` to an empty probe tells which device/dtype it moves to, so an
        # unbuilt layer remembers where its weights must be created.
        probe = torch.empty(0, dtype=self._tkl_dtype, device=self._tkl_device or "cpu")
        moved = fn(probe)
        if isinstance(moved, torch.Tensor):
            if moved.dtype != probe.dtype and moved.is_floating_point():
                # ``.to(dtype)``/``.half()``: one dtype for weights and compute from now on.
                vars(self).update(_tkl_dtype=moved.dtype, _tkl_compute_dtype=moved.dtype, _tkl_policy=None)
                dtype_policies.install(self, None, explicit=False)
            if moved.device != probe.device:
                self._tkl_device = moved.device
        result = super()._apply(fn, recurse)
        self._tkl_annotate_weights()  # torch makes new tensors for moved buffers
        return result

    @property
    def dtype(self):
        """Name of the weights' dtype, e.g. ``"float32"`` (Keras's ``variable_dtype``)."""
        return dtype_name(self._tkl_dtype)

    variable_dtype = dtype

    @property
    def compute_dtype(self):
        """Name of the computation's dtype (``"float16"`` under ``"mixed_float16"``)."""
        return dtype_name(self._tkl_compute_dtype)

    @property
    def dtype_policy(self):
        """The layer's ``tkl.dtype_policies.DTypePolicy``."""
        return self._tkl_policy or dtype_policies.DTypePolicy(self.dtype)

    def __setattr__(self, name, value):
        state = self.__dict__
        if "_tkl_ready" not in state:
            if isinstance(value, (nn.Module, nn.Parameter)):
                raise TypeError(_FORGOT_SUPER_INIT.format(cls=type(self).__name__))
            return object.__setattr__(self, name, value)
        if (
            isinstance(value, torch.Tensor)
            and id(value) in state["_tkl_weight_ids"]
            # Only weights being created are adopted: once built, an id may belong to a
            # tensor that replaced a weight (``to_empty``, ``load_state_dict(assign=True)``).
            and (not state.get("built") or state.get("_tkl_building"))
        ):
            if self._tkl_adopt_weight(name, value):
                return None
        if isinstance(value, torch.Tensor) and (name in state["_parameters"] or name in state["_buffers"]):
            # A weight replaced (``load_state_dict(assign=True)``...) keeps its Keras API.
            super().__setattr__(name, value)
            path = state["_tkl_weight_paths"].get(name)
            if path is not None and not is_annotated(value):
                annotate(value, path)
            return None
        if isinstance(value, nn.Module) and name not in state["_modules"]:
            if state.get("built") and not state.get("_tkl_building") and not _is_parametrization(name, value):
                raise ValueError(
                    _STATE_AFTER_BUILD.format(name=self.name, what=f"creating sub-layer {name!r}")
                )
            if state.get("_tkl_building"):
                # Sub-layers created in build() land on this layer's placement.
                value.to(device=state["_tkl_device"], dtype=state["_tkl_dtype"])
        return super().__setattr__(name, value)

    # --------------------------------------------------------------- config
    def _tkl_record_init_args(self, args, kwargs):
        """Keeps the constructor arguments for the default :meth:`get_config`."""
        if self._tkl_init_config is not None:
            return
        try:
            bound = _init_signature(type(self)).bind(self, *args, **kwargs)
        except TypeError:
            return
        config = {}
        for key, value in list(bound.arguments.items())[1:]:
            parameter = bound.signature.parameters[key]
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                config.update(value)
            elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
                config[key] = value
        self._tkl_init_config = config

    def get_config(self):
        """Returns the JSON-serialisable constructor arguments of the layer.

        The base version returns ``name``, ``trainable`` and ``dtype`` plus the
        arguments the subclass's constructor received, when they are plain values.
        Subclasses with richer arguments override it and call ``super().get_config()``.
        """
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype_policy.name}
        owner = next(c for c in type(self).__mro__ if "get_config" in vars(c))
        if not getattr(vars(owner)["get_config"], "_tkl_auto", False):
            return config  # the class lists its own arguments
        extra = {k: v for k, v in (self._tkl_init_config or {}).items() if k not in config}
        extra.pop("input_shape", None)
        if not _json_plain(extra):
            raise NotImplementedError(
                f'Layer "{self.name}" ({type(self).__name__}) has constructor arguments '
                f"that are not plain values ({sorted(extra)}), so get_config() cannot be "
                "derived. Fix: override get_config() to return them as JSON values, and "
                "from_config() if they need rebuilding."
            )
        config.update(extra)
        return config

    get_config._tkl_auto = True  # subclasses that do not override it get the auto config

    @classmethod
    def from_config(cls, config):
        """Creates a layer from the output of :meth:`get_config`."""
        try:
            return cls(**config)
        except TypeError as error:
            raise TypeError(
                f"{cls.__name__}.from_config() could not create the layer: {error}. Fix: make "
                "get_config() return exactly the constructor's arguments, or override "
                "from_config()."
            ) from None

    def extra_repr(self):
        return f"name={self.name!r}, built={self.built}"


@functools.lru_cache(maxsize=None)
def _init_signature(cls):
    # Computed once per class: every layer records its constructor arguments.
    return inspect.signature(cls.__init__)


def _is_parametrization(name, value):
    # torch.nn.utils.parametrize keeps a layer's parametrizations in this ModuleDict:
    # it decorates existing weights, it is not new state created after build.
    return name == "parametrizations" and isinstance(value, nn.ModuleDict)


Layer._tkl_builds_weights = False  # its default build() creates no weights


def _json_plain(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_json_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_plain(v) for k, v in value.items())
    return False


def _first_input(layer, args, kwargs):
    if args:
        return args[0]
    if kwargs:
        parameters = list(inspect.signature(type(layer).call).parameters)
        if len(parameters) > 1 and parameters[1] in kwargs:
            return kwargs[parameters[1]]
    return None

"""``SpectralNormalization``: divides a layer's kernel by its largest singular value
(estimated by power iteration) at each training call, as Keras 3 does."""

import torch

from .. import initializers
from ..input_spec import InputSpec
from ..saving import register_serializable
from ._common import is_positive_int, layer_label
from .wrapper import Wrapper

__all__ = ["SpectralNormalization"]

_NORM_EPSILON = 1e-7  # Keras's backend epsilon, the floor of its ops.normalize


def _normalize(vector):
    """``vector / ||vector||`` with Keras's floor: the inverse norm is capped at 1/eps."""
    return vector * torch.rsqrt(vector.square().sum()).clamp(max=1.0 / _NORM_EPSILON)


@register_serializable(package="keras")
class SpectralNormalization(Wrapper):
    """Wraps a layer with a ``kernel`` (``Dense``, ``Conv2D``...) or ``embeddings``
    (``Embedding``) and keeps its spectral norm at 1, which bounds the layer's
    Lipschitz constant (stabilises GAN discriminators).

    Keras's semantics: each call in training runs ``power_iterations`` steps of power
    iteration on the kernel seen as a ``(-1, units)`` matrix in Keras's layout, from
    the stored estimate ``vector_u``, and *overwrites* the wrapped layer's kernel with
    ``kernel / sigma`` (no gradient flows through the normalization; an all-zero
    kernel is left as it is); the layer then runs on the normalized kernel.
    Inference uses the kernel as it stands.

    Args:
        layer: the layer to normalize; it must have a ``kernel`` or ``embeddings``
            weight.
        power_iterations: number of power-iteration steps per training call (>= 1).
        **kwargs: base ``Layer`` arguments.

    Shapes:
        Those of the wrapped layer. Weights, in Keras's order: the wrapped kernel,
        ``vector_u`` of shape ``(1, units)`` (non-trainable), then the wrapped layer's
        other weights (``bias``...).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> dense = tkl.layers.Dense(2, kernel_initializer="ones", use_bias=False)
        >>> layer = tkl.layers.SpectralNormalization(dense, power_iterations=8)
        >>> layer(torch.ones(1, 2), training=False).detach()
        tensor([[2., 2.]])
        >>> layer(torch.ones(1, 2), training=True).detach().round(decimals=4)  # sigma = 2
        tensor([[1., 1.]])
    """

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not is_positive_int(power_iterations):
            raise ValueError(
                f"{layer_label(self)}: `power_iterations` should be greater than zero. "
                f"Received: `power_iterations={power_iterations!r}`. Fix: pass a positive "
                "integer, e.g. power_iterations=1."
            )
        self.power_iterations = int(power_iterations)

    def build(self, input_shape):
        super().build(input_shape)
        name = next((n for n in ("kernel", "embeddings") if getattr(self.layer, n, None) is not None), None)
        if name is None:
            raise ValueError(
                f"{layer_label(self)}: {type(self.layer).__name__} object has no attribute "
                "'kernel' nor 'embeddings', so there is no weight to normalize. Fix: wrap a "
                "layer with a kernel (Dense, Conv2D...) or an Embedding."
            )
        self._kernel_name = name
        units = self._keras_kernel().shape[-1]
        self.vector_u = self.add_weight(
            shape=(1, units), initializer=initializers.TruncatedNormal(stddev=0.02),
            trainable=False, name="vector_u", dtype=self._kernel().dtype,
        )
        self.input_spec = InputSpec(min_ndim=1, axes={-1: input_shape[-1]})

    def _kernel(self):
        return getattr(self.layer, self._kernel_name)

    def _keras_kernel(self):
        # Power iteration runs on Keras's layout (units last), whatever the storage.
        kernel = self._kernel()
        permutation = getattr(self.layer, "_keras_weight_layouts", {}).get(self._kernel_name)
        return kernel if permutation is None else kernel.permute(permutation)

    def call(self, inputs, training=False):
        if training:
            self._normalize_kernel()
        outputs = self.layer(inputs)
        # Floating outputs follow the input's dtype, as in Keras; integer indices into
        # a wrapped Embedding still give floating vectors.
        return outputs.to(inputs.dtype) if inputs.is_floating_point() else outputs

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def compute_output_spec(self, *args, **kwargs):
        # Shape inference on fake tensors: the wrapped layer decides the dtype.
        return self._infer_output_spec(args, kwargs)

    @torch.no_grad()
    def _normalize_kernel(self):
        kernel, vector_u = self._kernel(), self.vector_u
        weights = self._keras_kernel().reshape(-1, vector_u.shape[-1])
        u = vector_u.to(weights.dtype)
        for _ in range(self.power_iterations):
            v = _normalize(u @ weights.T)
            u = _normalize(v @ weights)
        sigma = (v @ weights) @ u.T
        # Branch-free (no host sync, traceable): a zero kernel keeps its value and u.
        keep = (kernel == 0).all()
        vector_u.copy_(torch.where(keep, vector_u, u.to(vector_u.dtype)))
        kernel.copy_(torch.where(keep, kernel, (kernel / sigma.reshape(())).to(kernel.dtype)))

    # Keras tracks the wrapped kernel as the wrapper's own first weight, ahead of
    # vector_u and of the wrapped layer's other weights: same order here.
    def _to_keras_order(self, items):
        ours = super().weights
        index = next(i for i, w in enumerate(ours) if w is self._kernel())
        items = list(items)
        return [items[index]] + items[:index] + items[index + 1:]

    def _from_keras_order(self, items):
        ours = super().weights
        index = next(i for i, w in enumerate(ours) if w is self._kernel())
        items = list(items)
        return items[1:index + 1] + [items[0]] + items[index + 1:]

    @property
    def weights(self):
        """All weights in Keras's order: kernel, ``vector_u``, the wrapped layer's others."""
        ours = super().weights
        return self._to_keras_order(ours) if self.built else ours

    variables = weights

    def get_weights(self):
        arrays = super().get_weights()
        return self._to_keras_order(arrays) if self.built else arrays

    def set_weights(self, weights):
        weights = list(weights)
        if self.built and len(weights) == len(super().weights):
            weights = self._from_keras_order(weights)
        super().set_weights(weights)

    def get_config(self):
        config = super().get_config()
        config["power_iterations"] = self.power_iterations
        return config

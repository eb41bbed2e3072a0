"""``Embedding``: turns integer indices into dense vectors of a lookup table."""

import numpy as np
import torch
import torch.nn.functional as F

from .. import constraints, initializers, regularizers
from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ..symbolic import is_fake
from ._common import add_weight_from_options, is_positive_int, serialize_options

__all__ = ["Embedding"]

_INDEX_DTYPES = (torch.int64, torch.int32)  # what F.embedding takes


@register_serializable(package="keras")
class Embedding(Layer):
    """Looks up rows of a trainable ``(input_dim, output_dim)`` table.

    ``output[..., :] = embeddings[inputs[...]]``, computed with ``F.embedding``; the
    table is the weight ``embeddings`` (Keras's name and layout, which is also
    ``torch.nn.Embedding``'s).

    Inputs are integer indices in ``[0, input_dim)``; ``int64`` and ``int32`` inputs
    are used as they are (the layer never casts them to its float dtype). Other dtypes
    are cast to ``int64`` as Keras casts them: small integer types (``uint8``...)
    exactly, floating inputs by truncating fractional parts toward zero (``2.7`` looks
    up row 2); pass integer tensors (``x.long()``) to avoid the cast. Indices outside
    the table raise an ``IndexError`` naming the layer, ``input_dim`` and the range
    received, when the indices are on the CPU (one ``aminmax`` pass, cheap next to the
    lookup). On an accelerator the check would make the host wait for the device at
    every call, so it is left to torch's device-side assertion there (and skipped
    inside ``torch.compile``d code).

    Args:
        input_dim: size of the vocabulary (largest index + 1), a positive int.
        output_dim: size of each embedding vector, a positive int.
        embeddings_initializer: initializer of the table (default ``"uniform"``:
            ``RandomUniform(-0.05, 0.05)``, as in Keras).
        embeddings_regularizer: regularizer of the table.
        embeddings_constraint: constraint applied to the table after optimizer steps.
        mask_zero: whether index 0 is padding: :meth:`compute_mask` then returns
            ``inputs != 0`` (and index 0 should not be a real token, so
            ``input_dim`` is the vocabulary size + 1).
        weights: optional initial table, an ``(input_dim, output_dim)`` array (or a
            one-element list holding it): the layer is built at construction with
            these values (as in Keras; they are not part of the config).
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``, ``activity_regularizer``...).

    Shapes:
        Input ``(batch, ...)`` of integer indices; output ``(batch, ..., output_dim)``
        in the layer's dtype.

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.Embedding(1000, 64)
        >>> layer(torch.randint(0, 1000, (32, 10))).shape
        torch.Size([32, 10, 64])
    """

    def __init__(
        self,
        input_dim,
        output_dim,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero=False,
        weights=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not all(is_positive_int(v) for v in (input_dim, output_dim)):
            raise ValueError(
                f'Layer "{self.name}" (Embedding): both `input_dim` and `output_dim` should be '
                f"positive integers. Received input_dim={input_dim!r} and "
                f"output_dim={output_dim!r}. Fix: e.g. Embedding(input_dim=vocab_size, "
                "output_dim=64)."
            )
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        # One tensor of indices (of any rank): None, lists of tensors and dicts are
        # refused before anything is built.
        self.input_spec = InputSpec()
        if weights is not None:
            self._set_initial_table(weights)

    def _set_initial_table(self, weights):
        if isinstance(weights, (list, tuple)) and len(weights) == 1:
            weights = weights[0]
        try:
            table = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError):
            table = None
        expected = (self.input_dim, self.output_dim)
        if table is None or table.shape != expected:
            received = "non-numeric values" if table is None else f"shape {table.shape}"
            raise ValueError(
                f'Layer "{self.name}" ({type(self).__name__}): weights must be the initial '
                f"embedding table, an array of shape {expected} (input_dim, output_dim), "
                f"received {received}. Fix: pass weights=table with table.shape == {expected}."
            )
        self.build()
        with torch.no_grad():
            self.embeddings.copy_(torch.from_numpy(table))

    def get_build_config(self):
        # The table does not depend on the input shape, so a layer built without one
        # (weights=..., build(None)) still rebuilds from a state_dict.
        if not self.built:
            return None
        return super().get_build_config() or {"input_shape": None}

    def build(self, input_shape=None):
        self.embeddings = add_weight_from_options(
            self, "embeddings", (self.input_dim, self.output_dim)
        )

    def call(self, inputs):
        if inputs.dtype not in _INDEX_DTYPES:
            inputs = inputs.long()  # as Keras casts them; floats truncate toward 0
        table = self.embeddings
        if inputs.device != table.device:
            # F.embedding would silently answer on the table's device (meta ids with a
            # real table give uninitialised memory).
            self._raise_placement_error((inputs,), {})
        if (inputs.device.type == "cpu" and inputs.numel() and not torch.compiler.is_compiling()
                and not is_fake(inputs)):
            low, high = torch.aminmax(inputs)
            if low < 0 or high >= self.input_dim:
                raise IndexError(
                    f'Layer "{self.name}" (Embedding) received indices in [{int(low)}, {int(high)}], '
                    f"outside its table of input_dim={self.input_dim} rows (valid indices: 0 to "
                    f"{self.input_dim - 1}). Fix: map unknown tokens to a valid index (e.g. an "
                    "out-of-vocabulary row), or create the layer with a larger input_dim."
                )
        return F.embedding(inputs, table)

    def compute_mask(self, inputs, mask=None):
        """``inputs != 0`` when ``mask_zero=True``, else ``None``."""
        if not self.mask_zero:
            return None
        return torch.as_tensor(inputs) != 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim)
        serialize_options(
            config,
            embeddings_initializer=self.embeddings_initializer,
            embeddings_regularizer=self.embeddings_regularizer,
            activity_regularizer=self.activity_regularizer,
            embeddings_constraint=self.embeddings_constraint,
        )
        config["mask_zero"] = self.mask_zero
        return config

    def extra_repr(self):
        return f"name={self.name!r}, input_dim={self.input_dim}, output_dim={self.output_dim}"

"""``Bidirectional``: a recurrent layer run forwards and backwards, outputs merged."""

import torch

from ...layer import Layer
from ...saving import deserialize, register_serializable, serialize
from .._common import layer_label
from ._loop import flatten_states

__all__ = ["Bidirectional"]

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)
_RECURRENT_ATTRIBUTES = ("go_backwards", "return_sequences", "return_state", "stateful")


def _copy(layer, name, **changes):
    """A fresh, unbuilt layer with ``layer``'s config (Keras copies through the config,
    so nothing of the original's state is carried over)."""
    config = serialize(layer)
    config["config"].update(name=name, **changes)
    return deserialize(config)


def _removeprefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name


@register_serializable(package="keras")
class Bidirectional(Layer):
    """Runs a recurrent layer over the sequence in both directions (Keras's wrapper).

    The wrapped layer's config makes two fresh layers, ``forward_layer`` (named
    ``forward_<name>``) and ``backward_layer`` (``backward_<name>``, ``go_backwards=True``)
    unless ``backward_layer`` is given; the wrapped instance itself is not used. Their
    outputs are merged; with ``return_sequences`` the backward outputs are flipped back
    to the input's time order first, and masked steps give zeros in both directions
    (``zero_output_for_mask`` is set to ``return_sequences``), as in Keras.

    Args:
        layer: a recurrent layer (``LSTM``, ``GRU``, ``SimpleRNN``, ``RNN``...).
        merge_mode: ``"concat"`` (default), ``"sum"``, ``"mul"``, ``"ave"``, or ``None``
            (a pair of outputs).
        weights: optional list of initial weights, the forward layer's then the backward
            layer's (as ``get_weights`` orders them), set when the layer is built.
        backward_layer: optional recurrent layer for the backward direction, with the
            opposite ``go_backwards`` and the same ``return_sequences``,
            ``return_state`` and ``stateful`` as ``layer``.
        **kwargs: base ``Layer`` arguments (``name``, ``dtype``...).

    Call arguments:
        sequences: ``(batch, timesteps, features)``.
        initial_state: the forward states then the backward states (e.g. ``[h_f, c_f,
            h_b, c_b]`` for an LSTM).
        mask: boolean ``(batch, timesteps)``.
        training: whether dropout is active.

    Shapes:
        ``concat``: the last axis doubles; ``sum``/``mul``/``ave``: the wrapped layer's
        shape; ``None``: two outputs. With ``return_state`` the forward then the
        backward final states follow the output(s).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> layer = tkl.layers.Bidirectional(tkl.layers.LSTM(4, return_sequences=True))
        >>> layer(torch.ones(2, 7, 3)).shape
        torch.Size([2, 7, 8])
    """

    cast_integer_inputs = True

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                "Please initialize `Bidirectional` layer with a `keras.layers.Layer` instance. "
                f"Received: {layer!r}. Fix: e.g. Bidirectional(tkl.layers.LSTM(32))."
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                "`backward_layer` need to be a `keras.layers.Layer` instance. Received: "
                f"{backward_layer!r}. Fix: pass e.g. tkl.layers.LSTM(32, go_backwards=True)."
            )
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Invalid merge mode. Received: {merge_mode!r}. Merge mode should be one of "
                '{"sum", "mul", "ave", "concat", None}.'
            )
        missing = [a for a in _RECURRENT_ATTRIBUTES if not hasattr(layer, a)]
        if missing:
            raise ValueError(
                f"Bidirectional wraps recurrent layers, but {type(layer).__name__} has no "
                f"{', '.join(missing)}. Fix: wrap an RNN, LSTM, GRU or SimpleRNN."
            )
        super().__init__(**kwargs)
        self.forward_layer = _copy(layer, f"forward_{_removeprefix(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _copy(layer, f"backward_{_removeprefix(layer.name, 'backward_')}",
                                   go_backwards=not layer.go_backwards)
        self.backward_layer = backward_layer
        if hasattr(layer, "use_cudnn"):  # not in the config: carried over by hand
            self.forward_layer.use_cudnn = layer.use_cudnn
            self.backward_layer.use_cudnn = layer.use_cudnn
        self._verify_layer_config()
        for direction in (self.forward_layer, self.backward_layer):
            if getattr(direction, "zero_output_for_mask", None) is not None:
                direction.zero_output_for_mask = direction.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = None if weights is None else list(weights)
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.supports_masking = True
        self.input_spec = layer.input_spec

    def _verify_layer_config(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                f"{layer_label(self)}: Forward layer and backward layer should have different "
                f"`go_backwards` value. Received: forward_layer.go_backwards "
                f"{forward.go_backwards}, backward_layer.go_backwards={backward.go_backwards}. "
                "Fix: create the backward layer with go_backwards=True."
            )
        for name in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, name) != getattr(backward, name):
                raise ValueError(
                    f"{layer_label(self)}: Forward layer and backward layer are expected to have "
                    f'the same value for attribute "{name}", got "{getattr(forward, name)}" for '
                    f'forward layer and "{getattr(backward, name)}" for backward layer. Fix: give '
                    f"both layers the same {name}."
                )

    # ----------------------------------------------------------------- build
    def build(self, sequences_shape, initial_state_shape=None):
        for direction in (self.forward_layer, self.backward_layer):
            if not direction.built:
                if direction._tkl_device is None and self._tkl_device is not None:
                    direction.to(self._tkl_device)
                direction.build(sequences_shape)
        if self._initial_weights is not None:
            weights, self._initial_weights = self._initial_weights, None
            half = len(self.forward_layer.weights)
            if len(weights) != half + len(self.backward_layer.weights):
                raise ValueError(
                    f"{layer_label(self)}: weights must hold the forward layer's {half} arrays "
                    f"then the backward layer's {len(self.backward_layer.weights)}, received "
                    f"{len(weights)}. Fix: pass another Bidirectional layer's get_weights()."
                )
            self.forward_layer.set_weights(weights[:half])
            self.backward_layer.set_weights(weights[half:])

    # ------------------------------------------------------------------ call
    def call(self, sequences, initial_state=None, mask=None, training=None):
        kwargs = {"training": training}
        if mask is not None:
            kwargs["mask"] = mask
        forward_state = backward_state = None
        if initial_state is not None:
            states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
            if len(states) % 2:
                raise ValueError(
                    f"{layer_label(self)} expects initial_state to hold the forward layer's "
                    f"states then the backward layer's (an even count), received {len(states)}. "
                    "Fix: e.g. [h_f, c_f, h_b, c_b] for an LSTM."
                )
            half = len(states) // 2
            forward_state, backward_state = list(states[:half]), list(states[half:])
        y = self.forward_layer(sequences, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, initial_state=backward_state, **kwargs)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        if self.merge_mode == "concat":
            output = torch.cat([y, y_rev], dim=-1)
        elif self.merge_mode == "sum":
            output = y + y_rev
        elif self.merge_mode == "ave":
            output = (y + y_rev) / 2
        elif self.merge_mode == "mul":
            output = y * y_rev
        else:
            output = (y, y_rev)
        if self.return_state:
            return (*output, *states) if self.merge_mode is None else (output, *states)
        return output

    # --------------------------------------------------------------- states
    def reset_state(self):
        """Sets the kept states of both directions back to zeros (stateful layers)."""
        if not self.stateful:
            raise AttributeError(
                f"{layer_label(self)}: Layer must be stateful. Fix: wrap a layer created "
                "with stateful=True."
            )
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    def reset_states(self):
        """Alias of :meth:`reset_state` (Keras 2's name)."""
        self.reset_state()

    @property
    def states(self):
        """The kept states, forward then backward (None unless stateful)."""
        forward, backward = self.forward_layer.states, self.backward_layer.states
        if forward and backward:
            return tuple(forward) + tuple(backward)
        return None

    # --------------------------------------------------------------- shapes
    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        output_shape = self.forward_layer.compute_output_shape(sequences_shape)
        state_shapes = ()
        if self.return_state:
            output_shape, state_shapes = output_shape[0], tuple(output_shape[1:])
        output_shape = tuple(output_shape)
        if self.merge_mode == "concat":
            output_shape = output_shape[:-1] + (None if output_shape[-1] is None else output_shape[-1] * 2,)
        if self.merge_mode is None:
            outputs = (output_shape, output_shape)
        else:
            outputs = (output_shape,)
        if self.return_state:
            return outputs + state_shapes + state_shapes
        return outputs if self.merge_mode is None else output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0] if mask else None
        if self.return_sequences:
            output_mask = [mask, mask] if self.merge_mode is None else [mask]
        else:
            output_mask = [None, None] if self.merge_mode is None else [None]
        if self.return_state:
            count = 2 * len(flatten_states(self.forward_layer.state_size))
            return output_mask + [None] * count
        return output_mask if self.merge_mode is None else output_mask[0]

    # --------------------------------------------------------------- config
    def get_config(self):
        config = super().get_config()
        config.update(merge_mode=self.merge_mode, layer=serialize(self.forward_layer),
                      backward_layer=serialize(self.backward_layer))
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["layer"] = deserialize(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize(backward, custom_objects=custom_objects)
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}, merge_mode={self.merge_mode!r}"

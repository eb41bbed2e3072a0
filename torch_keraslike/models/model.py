"""``Model``: a functional graph of layer calls, or a subclass with its own ``call``.

Example:
    >>> import torch, torch_keraslike as tkl
    >>> inputs = tkl.Input((16,))
    >>> x = tkl.layers.Dense(32, activation="relu")(inputs)
    >>> model = tkl.Model(inputs, tkl.layers.Dense(1)(x))
    >>> model(torch.ones(4, 16)).shape
    torch.Size([4, 1])
"""

from torch import nn

from ..input_spec import InputSpec
from ..layer import Layer
from ..saving import register_serializable
from ..symbolic import KerasTensor, flatten
from ..training.trainer import Trainer
from .functional import Graph, follow_meta_layers
from .summary import print_summary


@register_serializable(package="keras")
class Model(Trainer, Layer):
    """A model: ``Model(inputs, outputs)`` for a functional graph, or a subclass.

    Functional models run their graph when called on tensors; their layers are
    registered as ``model.layers`` (a ``ModuleList``), so parameters appear once under
    ``layers.<index>.<weight>`` keys. Subclassed models define layers in ``__init__``
    and the computation in ``call``, like any ``Layer``.

    Args:
        inputs: a ``KerasTensor`` from ``tkl.Input``, or a list/dict of them.
        outputs: ``KerasTensor``(s) computed from ``inputs``: one, a list or a dict.
        name: model name (default ``functional``, ``functional_1``...).
        **kwargs: base ``Layer`` arguments (``trainable``, ``dtype``).

    Example:
        >>> import torch, torch_keraslike as tkl
        >>> class Net(tkl.Model):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.hidden = tkl.layers.Dense(8, activation="relu")
        ...         self.out = tkl.layers.Dense(1)
        ...     def call(self, x):
        ...         return self.out(self.hidden(x))
        >>> Net()(torch.ones(2, 3)).shape
        torch.Size([2, 1])
    """

    _tkl_policy_region = False  # its layers follow their own policies

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", args[0] if args else None)
        outputs = kwargs.pop("outputs", args[1] if len(args) > 1 else None)
        if len(args) > 2:
            raise TypeError(
                f"Model() takes inputs and outputs positionally, received {len(args)} positional "
                "arguments. Fix: Model(inputs, outputs, name='model')."
            )
        if (inputs is None) != (outputs is None):
            raise ValueError(
                "Model(inputs, outputs): pass both inputs and outputs for a functional model, "
                f"or neither for a subclassed model (received inputs={inputs!r}, outputs={outputs!r})."
            )
        if inputs is not None and "name" not in kwargs and type(self) is Model:
            from .._naming import unique_name

            kwargs["name"] = unique_name("functional")
        super().__init__(**kwargs)
        vars(self)["_graph"] = None
        if inputs is not None:
            self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        graph = Graph(inputs, outputs)
        vars(self)["_graph"] = graph
        self._modules["layers"] = nn.ModuleList(graph.layers)
        # The model checks the number and names of its inputs; the shapes are checked by
        # the first layer that sees each input, with that layer's message.
        self.input_spec = [InputSpec(name=name) for name in graph.input_names]
        self._tkl_build_shapes = [list(t.shape) for t in graph.flat_inputs]
        follow_meta_layers(self)
        self.built = True

    # ---------------------------------------------------------------- masks
    @property
    def supports_masking(self):
        """Functional and Sequential models carry masks: their layers attach them to the
        tensors they produce. Subclassed models support masks if they set this to True."""
        value = vars(self).get("_supports_masking")
        if value is not None:
            return value
        return self._graph is not None or "layers" in self._modules

    @supports_masking.setter
    def supports_masking(self, value):
        vars(self)["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, previous_mask=None):
        """No mask beyond those the model's layers attached to its outputs (a graph
        model); a subclassed model that supports masking passes its input's mask on."""
        if self._graph is not None or "layers" in self._modules:
            return None
        return previous_mask

    # ----------------------------------------------------------------- graph
    @property
    def layers(self):
        """The model's layers: graph order for functional models (``InputLayer``s
        included, as in Keras), direct sub-layers for subclassed models."""
        if "layers" in self._modules:
            # The ModuleList itself: torch tools (get_submodule, export, functional_call)
            # resolve "layers.0.kernel" through this attribute.
            return self._modules["layers"]
        return [m for m in self._modules.values() if isinstance(m, Layer)]

    @property
    def inputs(self):
        return None if self._graph is None else self._graph.flat_inputs

    @property
    def outputs(self):
        return None if self._graph is None else flatten(self._graph.outputs)

    def call(self, inputs):
        if self._graph is None:
            raise NotImplementedError(
                f'Model "{self.name}" has no call(): it was created without inputs/outputs. Fix: '
                "subclass Model and define call(), or use Model(inputs, outputs)."
            )
        return self._graph.run(self._graph.flatten_inputs(inputs))

    forward = call

    def get_layer(self, name=None, index=None):
        """Returns a layer by ``name`` or by ``index`` in :attr:`layers`."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(
                    f'Model "{self.name}" has {len(layers)} layers, so index={index} is out of '
                    "range. Fix: use an index below len(model.layers)."
                )
            return layers[index]
        names = [getattr(layer, "name", None) for layer in layers]
        if name in names:
            return layers[names.index(name)]
        raise ValueError(
            f'No such layer: {name!r} in model "{self.name}". Existing layers are: {names}.'
        )

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False):
        """Prints Keras's table: layer (type), output shape, param #, and totals."""
        print_summary(self, line_length=line_length, print_fn=print_fn, show_trainable=show_trainable)

    # ----------------------------------------------------------------- files
    def save(self, filepath, overwrite=True):
        """Saves the model: ``*.keras`` as a Keras 3 archive (``keras.saving.load_model``
        opens it), anything else (``*.safetensors``) in this library's format.

        Args:
            filepath: destination file.
            overwrite: False refuses to replace an existing file.
        """
        from ..saving import save_model

        _check_overwrite(filepath, overwrite)
        save_model(self, filepath)

    def save_weights(self, filepath, overwrite=True):
        """Writes the weights in Keras 3's ``.weights.h5`` layout (Keras's
        ``model.load_weights`` reads it).

        Args:
            filepath: destination, ending in ``.weights.h5``.
            overwrite: False refuses to replace an existing file.
        """
        from ..saving import save_weights

        _check_overwrite(filepath, overwrite)
        save_weights(self, filepath)

    def load_weights(self, filepath, skip_mismatch=False):
        """Loads weights from Keras's ``.weights.h5``, a legacy ``.h5`` weights or model
        file, a ``.keras`` archive, or this library's model file.

        Layers are matched as Keras matches them (by position and class); all counts and
        shapes are checked before any weight changes, and an error names the first layer
        and weight that do not fit.

        Args:
            filepath: the file.
            skip_mismatch: skip (with a warning) the layers that do not fit.
        """
        from ..saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    # ----------------------------------------------------------------- config
    def get_config(self):
        if self._graph is None or type(self) is not Model:
            # Subclasses (also those that build a graph in __init__) are recreated
            # from their constructor arguments.
            return super().get_config()
        config = {"name": self.name, "trainable": self.trainable}
        config.update(self._graph.get_config())
        return config

    get_config._tkl_auto = True  # subclassed models get their constructor arguments

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds a functional model from :meth:`get_config`, or calls the subclass's
        constructor with the config."""
        if cls is Model:
            missing = [k for k in ("layers", "input_layers", "output_layers") if k not in config]
            if missing:
                raise ValueError(
                    f"Model.from_config() needs a functional model's config, with 'layers', "
                    f"'input_layers' and 'output_layers'; this one has no {missing} (its keys: "
                    f"{sorted(config)}). Fix: pass model.get_config() of a functional model "
                    "(Keras's or ours); subclassed models are created by their own class."
                )
            inputs, outputs = Graph.from_config(config, custom_objects)
            model = cls(inputs, outputs, name=config.get("name"))
            # Not the recursive setter: each layer's own config restored its flag.
            vars(model)["_trainable"] = config.get("trainable", True)
            return model
        return super().from_config(config)

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (Keras's ``model.to_json``): its
        config entry with ``keras_version`` and ``backend``; weights are not included.
        ``tkl.models.model_from_json`` reads it back.

        Args:
            **kwargs: passed to ``json.dumps`` (e.g. ``indent=2``).
        """
        from .model_json import model_to_json

        return model_to_json(self, **kwargs)

    def get_build_config(self):
        if self._graph is not None:
            return None  # built at construction
        return super().get_build_config()

    def _symbolic_output_shapes(self, layer):
        """Output shapes of each call of ``layer`` (for the summary)."""
        if self._graph is None:
            return []
        return [
            [t.shape for t in flatten(outputs) if isinstance(t, KerasTensor)]
            for outputs in self._graph.node_outputs(layer)
        ]


def _check_overwrite(filepath, overwrite):
    import os

    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(
            f"{os.fspath(filepath)!r} exists and overwrite=False. Fix: pass overwrite=True or "
            "choose another file name."
        )


# Output masks are only worked out when an input carries one (the layers inside attach
# the rest themselves), so unmasked model calls skip compute_mask.
Model._tkl_computes_mask = False

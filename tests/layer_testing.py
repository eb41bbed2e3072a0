"""``run_layer_test``: the checks every layer goes through (like Keras's own helper).

One call checks output shape and dtype, weight counts, symbolic (``KerasTensor``)
against eager output shapes and dtypes, the config round trip, the ``state_dict``
round trip into a fresh unbuilt layer, ``get_weights``/``set_weights`` transfer, and
compiled (``torch.compile``, eager backend) against eager numerics.
"""

import json

import numpy as np
import torch

import torch_keraslike as tkl


def _random_input(shape, dtype, seed=0):
    generator = torch.Generator().manual_seed(seed)
    if dtype.is_floating_point:
        return torch.randn(shape, generator=generator, dtype=dtype)
    return torch.randint(0, 5, shape, generator=generator, dtype=dtype)


def _leaves(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _leaves(item)]
    return [structure]


def _map(fn, structure):
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: _map(fn, item) for key, item in structure.items()}
    return fn(structure)


def run_layer_test(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape,
    expected_num_trainable_weights=0,
    expected_num_non_trainable_weights=0,
    input_dtype=torch.float32,
    expected_output_dtype=None,
    input_data=None,
    run_compiled=True,
    training=False,
    run_symbolic=True,
):
    """Builds ``layer_cls(**init_kwargs)`` on a batch of ``input_shape`` and checks it.

    Returns the built layer and its output for further, layer-specific assertions.
    """
    x = _random_input(input_shape, input_dtype) if input_data is None else input_data
    layer = layer_cls(**init_kwargs)
    # Layers without state are built at construction, as in Keras; the others lazily.
    assert layer.built == (layer_cls.build_at_init and layer_cls.build is tkl.Layer.build)
    output = layer(x, training=training)

    # Output shape and dtype.
    assert tuple(output.shape) == tuple(expected_output_shape), (output.shape, expected_output_shape)
    expected_dtype = expected_output_dtype or (
        torch.get_default_dtype() if input_dtype.is_floating_point else None
    )
    if expected_dtype is not None:
        assert output.dtype == expected_dtype

    # Weight counts and consistency of the weight lists.
    assert layer.built
    assert len(layer.trainable_weights) == expected_num_trainable_weights
    assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights
    assert len(layer.weights) == expected_num_trainable_weights + expected_num_non_trainable_weights
    assert layer.count_params() == sum(w.numel() for w in layer.weights)
    keys = [k for k in layer.state_dict() if not k.endswith("_extra_state")]
    assert len(keys) == len(set(keys)) == len(layer.weights)

    # Symbolic call on a KerasTensor: same output shape (batch unknown) and dtype.
    if run_symbolic:
        symbolic_layer = layer_cls(**init_kwargs)
        symbolic_inputs = _map(
            lambda t: tkl.Input(batch_shape=(None,) + tuple(t.shape[1:]), dtype=t.dtype), x)
        spec = symbolic_layer(symbolic_inputs)
        for s_out, e_out in zip(_leaves(spec), _leaves(output)):
            assert s_out.shape == (None,) + tuple(e_out.shape[1:]), (s_out.shape, e_out.shape)
            assert s_out.dtype == e_out.dtype, (s_out.dtype, e_out.dtype)
        assert len(symbolic_layer.weights) == len(layer.weights)

    # Config round trip (through JSON), then the weights moved with set_weights.
    config = layer.get_config()
    clone = layer_cls.from_config(json.loads(json.dumps(config)))
    assert clone.get_config() | {"name": None} == config | {"name": None}
    clone(x, training=False)
    clone.set_weights(layer.get_weights())
    for a, b in zip(clone.get_weights(), layer.get_weights()):
        np.testing.assert_array_equal(a, b)
    reference = layer(x, training=False)
    torch.testing.assert_close(clone(x, training=False), reference)

    # state_dict round trip into a fresh, unbuilt layer.
    fresh = layer_cls.from_config(config)
    fresh.load_state_dict(layer.state_dict())
    assert fresh.built
    torch.testing.assert_close(fresh(x, training=False), reference)

    # Compiled against eager numerics (eager backend: tracing without C++ compilation).
    if run_compiled:
        layer.eval()
        compiled = torch.compile(layer, backend="eager", fullgraph=True)
        torch.testing.assert_close(compiled(x), reference)
        torch._dynamo.reset()
        layer.train()
    return layer, output




__all__ = ["run_layer_test", "tkl"]

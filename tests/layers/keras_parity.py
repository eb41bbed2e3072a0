"""``check_keras_parity``: one call builds our layer and Keras's from the same
arguments, gives both the same random weights, and compares their outputs (float32,
1e-5 relative), the output shapes Keras and we infer, and the configs' shared keys."""

import numpy as np
import torch

from keras_reference import assert_layer_matches_keras, import_keras, to_numpy


def random_weights(layer, seed=1):
    """Gives ``layer`` random normal weights (biases included), in Keras's layout."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(w.shape).astype(np.float32) for w in layer.get_weights()]
    layer.set_weights(weights)
    return weights


def check_keras_parity(cls, init_kwargs, inputs, call_kwargs=None, keras_name=None, rtol=1e-5,
                       atol=1e-6, randomize=True):
    """Our ``cls(**init_kwargs)`` against ``keras.layers.<keras_name>(**init_kwargs)``.

    ``inputs`` is a NumPy array or a list of them. Returns ``(ours, outputs)``.
    """
    keras = import_keras()
    theirs = getattr(keras.layers, keras_name or cls.__name__)(**init_kwargs)
    ours = cls(**init_kwargs)
    ours(inputs, **(call_kwargs or {}))
    if randomize and ours.get_weights():
        random_weights(ours)
    received, _ = assert_layer_matches_keras(ours, theirs, inputs, call_kwargs=call_kwargs,
                                             rtol=rtol, atol=atol)
    shapes = [tuple(x.shape) for x in inputs] if isinstance(inputs, list) else tuple(inputs.shape)
    assert tuple(ours.compute_output_shape(shapes)) == tuple(theirs.compute_output_shape(shapes))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.weights]
    assert [w.path.split("/")[-1] for w in theirs.weights] == [
        key.split(".")[-1] for key in ours.state_dict() if not key.endswith("_extra_state")]
    ours_config, keras_config = ours.get_config(), theirs.get_config()
    for key in init_kwargs:
        assert key in ours_config and key in keras_config, key
        assert _plain(ours_config[key]) == _plain(keras_config[key]), (key, ours_config[key], keras_config[key])
    return ours, received


def _plain(value):
    """Config values compared across libraries: tuples as lists, serialized objects by
    class name."""
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict) and "class_name" in value:
        return value["class_name"]
    if isinstance(value, (torch.Tensor, np.ndarray)):
        return to_numpy(value).tolist()
    return value


__all__ = ["check_keras_parity", "random_weights"]

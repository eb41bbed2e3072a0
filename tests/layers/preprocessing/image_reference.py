"""Helpers of the image preprocessing tests: Keras-sampled transformations applied to
both implementations, so the arithmetic is compared on identical parameters."""

import numpy as np
import torch

from keras_reference import to_numpy


def clone_structure(value):
    """A deep copy of a transformation (Keras's torch backend edits some in place)."""
    if isinstance(value, dict):
        return {k: clone_structure(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return type(value)(clone_structure(v) for v in value)
    return value.clone() if isinstance(value, torch.Tensor) else value


def assert_same_transform(ours, theirs, images, rtol=1e-5, atol=1e-5):
    """Samples a transformation with Keras's layer ``theirs``, applies it with both
    layers to ``images`` (a float32 NumPy batch or single image), compares."""
    inputs = torch.from_numpy(images)
    transformation = theirs.get_random_transformation(inputs, training=True)
    batch = inputs if inputs.dim() == 4 else inputs[None]
    got = ours.transform_images(batch.clone(), clone_structure(transformation), training=True)
    if inputs.dim() == 3:
        expected = theirs.transform_single_image(inputs.clone(), transformation, training=True)
        got = got[0]
    else:
        expected = theirs.transform_images(inputs.clone(), transformation, training=True)
    np.testing.assert_allclose(to_numpy(got), to_numpy(expected), rtol=rtol, atol=atol)
    return transformation


def images(shape, seed=0, scale=1.0):
    return (np.random.default_rng(seed).random(shape) * scale).astype(np.float32)

"""A variational autoencoder trained by its own add_loss losses, written for Keras 3.

Ported to torch_keraslike by changing one line: ``import keras`` became the import
below. The KL term and the reconstruction loss are added with ``add_loss`` and
computed with ``keras.ops``; ``compile`` gets only an optimizer. Data: noisy points on
a 2-D curve embedded in 8 dimensions (synthetic).

Run: python examples/port_from_keras/vae.py [--epochs N]
"""

import argparse

import numpy as np

import torch_keraslike as keras


class Sampling(keras.layers.Layer):
    """Draws z = mean + exp(log_var / 2) * epsilon, and adds the KL divergence loss."""

    def __init__(self, seed=1, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        kl = -0.5 * keras.ops.mean(keras.ops.sum(1 + z_log_var - keras.ops.square(z_mean) - keras.ops.exp(z_log_var), axis=1))
        self.add_loss(kl)
        epsilon = keras.random.normal(keras.ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + keras.ops.exp(0.5 * z_log_var) * epsilon


class Reconstruction(keras.layers.Layer):
    """Adds the reconstruction error between the inputs and the decoded outputs."""

    def call(self, inputs):
        original, decoded = inputs
        self.add_loss(keras.ops.mean(keras.ops.sum(keras.ops.square(original - decoded), axis=-1)))
        return decoded


def make_data(count, rng):
    t = rng.uniform(-1, 1, size=(count, 1))
    curve = np.concatenate([t, t ** 2], axis=1)
    projection = rng.normal(size=(2, 8))
    return (curve @ projection + 0.01 * rng.normal(size=(count, 8))).astype("float32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    latent_dim = 2
    inputs = keras.Input((8,))
    h = keras.layers.Dense(32, activation="relu")(inputs)
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(h)
    z = Sampling()([z_mean, z_log_var])
    decoded = keras.layers.Dense(8)(keras.layers.Dense(32, activation="relu")(z))
    outputs = Reconstruction()([inputs, decoded])
    vae = keras.Model(inputs, outputs, name="vae")
    vae.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3))
    data = make_data(2000, np.random.default_rng(0))
    history = vae.fit(data, batch_size=64, epochs=args.epochs, verbose=0)
    first, last = history.history["loss"][0], history.history["loss"][-1]
    encoder = keras.Model(inputs, z_mean)
    codes = keras.ops.convert_to_numpy(encoder(data[:5]))
    print(f"loss: first epoch {first:.3f}, last epoch {last:.3f}")
    print(f"latent codes of 5 samples: shape {codes.shape}")


if __name__ == "__main__":
    main()

"""A GAN with a custom train_step, written for Keras 3 on its torch backend.

Ported to torch_keraslike by changing one line: ``import keras`` became the import
below. The generator learns to place 2-D points on a ring (synthetic data).

Run: python examples/port_from_keras/gan.py [--epochs N]
"""

import argparse

import numpy as np
import torch

import torch_keraslike as keras


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim, seed=1):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    def call(self, points):
        # The discriminator's score of some points (Keras builds the model with it).
        return self.discriminator(points)

    def train_step(self, real_points):
        if isinstance(real_points, tuple):
            real_points = real_points[0]
        batch_size = keras.ops.shape(real_points)[0]
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

        # Discriminator: real points are labelled 0, generated ones 1.
        fake_points = self.generator(noise)
        points = keras.ops.concatenate([fake_points, real_points], axis=0)
        labels = keras.ops.concatenate([keras.ops.ones((batch_size, 1)), keras.ops.zeros((batch_size, 1))], axis=0)
        self.zero_grad()
        d_loss = self.loss_fn(labels, self.discriminator(points))
        d_loss.backward()
        weights = self.discriminator.trainable_weights
        with torch.no_grad():
            self.d_optimizer.apply([w.value.grad for w in weights], weights)

        # Generator: fool the discriminator into labelling its points as real (0).
        noise = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        self.zero_grad()
        g_loss = self.loss_fn(keras.ops.zeros((batch_size, 1)), self.discriminator(self.generator(noise)))
        g_loss.backward()
        weights = self.generator.trainable_weights
        with torch.no_grad():
            self.g_optimizer.apply([w.value.grad for w in weights], weights)

        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}


def ring(count, rng):
    angles = rng.uniform(0, 2 * np.pi, size=count)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1).astype("float32")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    latent_dim = 4
    discriminator = keras.Sequential([
        keras.Input((2,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(1)], name="discriminator")
    generator = keras.Sequential([
        keras.Input((latent_dim,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(2)], name="generator")
    gan = GAN(discriminator, generator, latent_dim)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate=2e-3),
                g_optimizer=keras.optimizers.Adam(learning_rate=2e-3),
                loss_fn=keras.losses.BinaryCrossentropy(from_logits=True))
    real = ring(2048, np.random.default_rng(0))
    history = gan.fit(real, batch_size=64, epochs=args.epochs, verbose=0)
    samples = keras.ops.convert_to_numpy(generator(keras.random.normal((512, latent_dim), seed=7)))
    radius = np.linalg.norm(samples, axis=1)
    print(f"d_loss {history.history['d_loss'][-1]:.3f}  g_loss {history.history['g_loss'][-1]:.3f}")
    print(f"generated radius: mean {radius.mean():.3f}, std {radius.std():.3f} (the ring has radius 1)")


if __name__ == "__main__":
    main()

"""The recurrent layers' former home: ``from torch_keraslike.layers.recurrent import
LSTM, GRU`` keeps working. They live in :mod:`torch_keraslike.layers.rnn`."""

from .rnn import GRU, LSTM, RNN, SimpleRNN

__all__ = ["GRU", "LSTM", "RNN", "SimpleRNN"]

"""The recurrent family, as Keras's ``keras.layers`` has it.

``RNN`` runs any cell over a sequence; ``SimpleRNN``, ``LSTM`` and ``GRU`` run their
cells on torch's fused kernels when they can; ``StackedRNNCells`` stacks cells;
``Bidirectional`` and ``TimeDistributed`` wrap layers; ``ConvLSTM1D/2D/3D`` are
convolutional LSTMs. Masks follow Keras's rules throughout.
"""

from ._dropout import DropoutRNNCell
from .bidirectional import Bidirectional
from .conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from .gru import GRU, GRUCell
from .lstm import LSTM, LSTMCell
from .rnn import RNN
from .simple_rnn import SimpleRNN, SimpleRNNCell
from .stacked_cells import StackedRNNCells
from .time_distributed import TimeDistributed

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "ConvLSTM1D",
    "ConvLSTM2D",
    "ConvLSTM3D",
    "DropoutRNNCell",
    "GRUCell",
    "LSTMCell",
    "SimpleRNN",
    "SimpleRNNCell",
    "StackedRNNCells",
    "TimeDistributed",
]

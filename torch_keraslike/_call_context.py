"""State shared by nested layer calls: the resolved ``training`` flag and the loss epoch.

Keras passes ``training`` from an outer layer's call down to the layers it calls. We
keep it in a thread-local so concurrent threads (e.g. a data-loading thread running a
preprocessing layer) do not see each other's value.
"""

import itertools
import threading

_EPOCHS = itertools.count(1)


class _CallContext(threading.local):
    def __init__(self):
        # ``training`` is None outside any layer call; inside, it is the value the
        # outermost call resolved, which inner layers inherit.
        self.training = None
        # Set by ``fit``/``evaluate``/``predict`` for their steps: the ``training`` a
        # top-level call without an explicit argument gets (Keras runs a custom
        # ``predict_step`` calling ``self(x)`` in inference mode). None: the module's flag.
        self.default_training = None
        # Layers being built (and unbuilt layers being called), outermost first: the
        # name scope of Keras's variable paths (``"sequential/dense/kernel"``).
        self.scope = []
        # Incremented at every top-level call; losses added under an older epoch are stale.
        self.epoch = 0


CALL_CONTEXT = _CallContext()


def next_epoch():
    return next(_EPOCHS)

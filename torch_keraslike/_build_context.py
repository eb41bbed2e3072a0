"""Where builds put their weights while a model file is being loaded.

Loading a file first rebuilds the model from its config with every weight on torch's
``meta`` device (shapes, no memory), compares those shapes with the tensors stored in
the file, and only then allocates real memory. A file whose config declares a huge
layer therefore costs nothing before its mismatch is reported.

The flag is thread-local: a model loaded in one thread does not change where another
thread's layers build.
"""

import contextlib
import threading

import torch

META = torch.device("meta")


class _BuildContext(threading.local):
    def __init__(self):
        self.meta = False


BUILD_CONTEXT = _BuildContext()


@contextlib.contextmanager
def weights_on_meta():
    """Layers built inside the block (that have no placement yet) build on ``meta``."""
    previous = BUILD_CONTEXT.meta
    BUILD_CONTEXT.meta = True
    try:
        yield
    finally:
        BUILD_CONTEXT.meta = previous

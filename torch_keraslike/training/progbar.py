"""Keras-style progress output on ``tqdm``, written to ``sys.stdout``.

``verbose=1``: a bar per epoch with the running loss and metrics, e.g.
``32/32 |████████████████████| 00:01 - 4ms/step - loss: 0.1234 - mae: 0.2800``;
``verbose=2``: one line per epoch; ``verbose=0``: nothing.

The running values live on the device; they are read (one host sync) at most every
``interval`` seconds and at the end, so the bar does not slow training down.

Example:
    >>> from torch_keraslike.training.progbar import ProgressBar
    >>> bar = ProgressBar(total=2, verbose=2)
    >>> for step in range(2):
    ...     bar.update(lambda: {"loss": 0.5})
    >>> bar.finish({"loss": 0.25})  # doctest: +ELLIPSIS
    2/2 - ...s - ...step - loss: 0.2500
"""

import sys
import time

from tqdm import tqdm

__all__ = ["ProgressBar", "format_logs", "format_step_time", "resolve_verbose"]


def resolve_verbose(verbose, where):
    """``"auto"`` -> 1; 0, 1 and 2 as they are; anything else is an error."""
    if verbose == "auto":
        return 1
    if verbose in (0, 1, 2) and not isinstance(verbose, float):
        return int(verbose)
    raise ValueError(
        f"{where}: verbose must be 'auto', 0 (silent), 1 (progress bar) or 2 (one line per "
        f"epoch), received verbose={verbose!r}."
    )


def _number(value):
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4f}"
    return f"{value:.4e}"


def format_logs(logs):
    """``" - loss: 0.1234 - mae: 0.5000"`` for a dict of numbers."""
    return "".join(f" - {key}: {_number(value)}" for key, value in logs.items())


def format_step_time(seconds, unit="step"):
    """``"4ms/step"``: a duration per ``unit`` in s, ms or us."""
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


def _interactive(stream):
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return tty or "ipykernel" in sys.modules


class ProgressBar:
    """One progress display (an epoch of ``fit``, an ``evaluate`` or a ``predict``).

    Args:
        total: number of steps, or None when unknown.
        verbose: 0, 1 or 2 (see the module docstring).
        title: line printed first (``"Epoch 1/5"``), or None.
        interval: seconds between refreshes of the running values; default 0.1 on a
            terminal or in a notebook, 15 when the output goes to a file or a pipe (each
            refresh would add to the log there).
    """

    def __init__(self, total, verbose, title=None, interval=None):
        self.total = total
        self.verbose = verbose
        if interval is None:
            interval = 0.1 if _interactive(sys.stdout) else 15.0
        self.interval = interval
        self.steps = 0
        self.start = time.perf_counter()
        self._last = self.start
        self.bar = None
        if verbose and title:
            print(title, file=sys.stdout, flush=True)
        if verbose == 1:
            if total is None:
                bar_format = "{n_fmt} {elapsed}{postfix[0]}"
            else:
                bar_format = "{n_fmt}/{total_fmt} |{bar:20}| {elapsed}{postfix[0]}"
            self.bar = tqdm(
                total=total, file=sys.stdout, bar_format=bar_format, postfix=[""], leave=True,
                mininterval=interval, dynamic_ncols=False,
            )

    def update(self, logs_fn=None):
        """Counts one step; every ``interval`` seconds reads ``logs_fn()`` (a dict of
        numbers or 0-d tensors) into the bar."""
        self.steps += 1
        bar = self.bar
        if bar is None:
            return
        now = time.perf_counter()
        if logs_fn is not None and now - self._last >= self.interval:
            self._last = now
            bar.postfix = [self._suffix(logs_fn(), now)]
        bar.update(1)

    def _suffix(self, logs, now):
        per_step = (now - self.start) / max(self.steps, 1)
        return f" - {format_step_time(per_step)}{format_logs(logs)}"

    def finish(self, logs=None):
        """Shows the final values (``logs``) and closes the display."""
        now = time.perf_counter()
        logs = logs or {}
        if self.bar is not None:
            self.bar.postfix = [self._suffix(logs, now)]
            self.bar.close()
            self.bar = None
        elif self.verbose == 2:
            total = self.total if self.total is not None else self.steps
            elapsed = now - self.start
            print(f"{self.steps}/{total} - {elapsed:.0f}s - "
                  f"{format_step_time(elapsed / max(self.steps, 1))}{format_logs(logs)}",
                  file=sys.stdout, flush=True)

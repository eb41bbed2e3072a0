"""``Progbar``: Keras's stand-alone progress bar (for custom loops), on ``tqdm``.

It shows the same text as ``fit``'s bar (:mod:`torch_keraslike.training.progbar`).
"""

import numbers
import sys
import time

from tqdm import tqdm

from ..training.progbar import format_logs, format_step_time

__all__ = ["Progbar"]


class Progbar:
    """A progress bar driven by step counts, with running averages of values.

    Values passed to :meth:`update` are averaged over the steps they cover, except the
    names in ``stateful_metrics`` (shown as given). With ``stateless_metrics`` it is
    the other way round: only those are averaged. Values given with the final update
    are shown as given (they are usually the epoch's totals), as in Keras.

    Args:
        target: total number of steps, or ``None`` when unknown.
        width: width of the bar in characters.
        verbose: 0 (silent), 1 (a live bar) or 2 (one line when finished).
        interval: minimum seconds between redraws.
        stateful_metrics: names shown as given (not averaged).
        stateless_metrics: names that are averaged (all others shown as given); give
            at most one of the two lists.
        unit_name: what a step is called in the timing (``"step"``, ``"sample"``).

    Example:
        >>> bar = Progbar(target=3, verbose=2)
        >>> bar.update(1, values=[("loss", 1.0)])
        >>> bar.update(2, values=[("loss", 0.5)])
        >>> bar.update(3)  # doctest: +ELLIPSIS
        3/3 - ...s - ...step - loss: 0.7500
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: give only one of `stateful_metrics` (names not averaged, all others "
                "averaged) or `stateless_metrics` (names averaged, all others not)."
            )
        if target is not None and (isinstance(target, bool) or not isinstance(target, numbers.Integral)
                                   or target < 0):
            raise ValueError(f"Progbar: `target` must be an int >= 0 or None, received target={target!r}.")
        if verbose not in (0, 1, 2) or isinstance(verbose, (bool, float)):
            raise ValueError(
                f"Progbar: verbose must be 0 (silent), 1 (live bar) or 2 (one line), received "
                f"verbose={verbose!r}."
            )
        if isinstance(width, bool) or not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(f"Progbar: `width` must be a positive int, received width={width!r}.")
        self.target = None if target is None else int(target)
        self.width = int(width)
        self.verbose = int(verbose)
        self.interval = float(interval)
        self.unit_name = unit_name
        self.stateful_metrics = None if stateless_metrics is not None else set(stateful_metrics or ())
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._values = {}  # name -> [weighted sum, weight]; insertion order is display order
        self._seen_so_far = 0
        self._start = time.perf_counter()
        self._after_first_step = None
        self._bar = None

    def _averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def _logs(self):
        return {name: total / max(1, weight) for name, (total, weight) in self._values.items()}

    def _time_per_unit(self, current, now):
        if not current:
            return 0.0
        if self._after_first_step is not None and current > 1:
            # The first step (compilation, warm-up) is left out of the estimate.
            per_unit = (now - self._after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._after_first_step = now
        return per_unit

    def update(self, current, values=None, finalize=None):
        """Moves the bar to step ``current``.

        Args:
            current: index of the current step (steps done so far).
            values: list of ``(name, value)`` for the last step(s).
            finalize: whether this is the last update; default ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or []:
            value = float(value)
            if not self._averaged(name) or finalize:
                self._values[name] = [value, 1]
                continue
            weight = max(current - self._seen_so_far, 1)
            total, count = self._values.get(name, [0.0, 0])
            self._values[name] = [total + value * weight, count + weight]
        self._seen_so_far = current
        now = time.perf_counter()
        per_unit = self._time_per_unit(current, now)
        suffix = f" - {format_step_time(per_unit, self.unit_name)}{format_logs(self._logs())}"
        if self.verbose == 1:
            if self._bar is None:
                bar_format = ("{n_fmt}/{total_fmt} |{bar:%d}| {elapsed}{postfix[0]}" % self.width
                              if self.target is not None else "{n_fmt}/Unknown {elapsed}{postfix[0]}")
                self._bar = tqdm(total=self.target, file=sys.stdout, bar_format=bar_format,
                                 postfix=[""], leave=True, mininterval=self.interval,
                                 dynamic_ncols=False)
            self._bar.n = current
            self._bar.postfix = [suffix]
            if finalize:
                self._bar.refresh()
                self._bar.close()
                self._bar = None
            else:
                self._bar.update(0)  # redraws at most every `interval` seconds
        elif self.verbose == 2 and finalize:
            shown = f"{current}/{self.target}" if self.target is not None else f"{current}"
            print(f"{shown} - {now - self._start:.0f}s{suffix}", file=sys.stdout, flush=True)

    def add(self, n, values=None):
        """Advances the bar by ``n`` steps (see :meth:`update`)."""
        self.update(self._seen_so_far + n, values)

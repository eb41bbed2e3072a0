"""``pad_sequences``: a list of variable-length sequences as one padded NumPy array."""

import numbers

import numpy as np

__all__ = ["pad_sequences"]

_SIDES = ("pre", "post")


def _is_text_dtype(dtype):
    try:
        return np.issubdtype(dtype, np.str_) or np.issubdtype(dtype, np.bytes_)
    except TypeError:
        return False


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (or truncates) sequences to one length, as Keras's ``pad_sequences``.

    Each sequence becomes a row of ``maxlen`` steps: a shorter one is filled with
    ``value`` before (``padding="pre"``) or after (``"post"``) its values; a longer one
    loses its first (``truncating="pre"``) or last (``"post"``) steps. Steps may be
    scalars or arrays of one common shape (the "sample shape").

    Args:
        sequences: list of sequences (lists, NumPy arrays, tensors); may be ragged.
        maxlen: length of the result; ``None`` uses the longest sequence.
        dtype: dtype of the result (default ``"int32"``); ``object`` for strings of any
            length.
        padding: ``"pre"`` or ``"post"``: where the padding goes.
        truncating: ``"pre"`` or ``"post"``: which end of long sequences is cut.
        value: the padding value (a number, or a string with a text/object dtype).

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + sample_shape``.

    Example:
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
        array([[0, 0, 1],
               [0, 2, 3],
               [4, 5, 6]], dtype=int32)
        >>> pad_sequences([[1], [2, 3], [4, 5, 6]], maxlen=2, padding="post")
        array([[1, 0],
               [2, 3],
               [5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__") or isinstance(sequences, (str, bytes)):
        raise ValueError(
            f"pad_sequences: `sequences` must be a list of sequences, but received "
            f"{type(sequences).__name__}: {sequences!r:.80}."
        )
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(
                f'pad_sequences: {name} type "{side}" not understood. Expected "pre" or '
                f'"post", received {name}={side!r}.'
            )
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, numbers.Integral)
                               or maxlen < 0):
        raise ValueError(
            f"pad_sequences: `maxlen` must be None or a non-negative int, but received "
            f"maxlen={maxlen!r}."
        )
    lengths, sample_shape = [], None
    for index, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(
                f"pad_sequences: `sequences` must be a list of iterables, but the entry at "
                f"position {index} is not one: {sequence!r:.80}. Fix: wrap single values in "
                "lists, e.g. [[1], [2, 3]]."
            ) from None
        if sample_shape is None and len(sequence):
            sample_shape = np.asarray(sequence).shape[1:]  # from the first non-empty one
    sample_shape = sample_shape or ()
    if isinstance(value, str) and dtype is not object and not _is_text_dtype(dtype):
        raise ValueError(
            f"pad_sequences: `dtype` {dtype} is not compatible with `value`'s type "
            f"{type(value).__name__}. Fix: set dtype=object for variable-length strings."
        )
    if maxlen is None:
        maxlen = max(lengths, default=0)
    maxlen = int(maxlen)
    result = np.full((len(lengths), maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return result
    for index, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"pad_sequences: the steps of the sequence at position {index} have shape "
                f"{kept.shape[1:]}, but the first non-empty sequence's steps have shape "
                f"{sample_shape}. Fix: give every step the same shape."
            )
        if padding == "post":
            result[index, :len(kept)] = kept
        else:
            result[index, -len(kept):] = kept
    return result

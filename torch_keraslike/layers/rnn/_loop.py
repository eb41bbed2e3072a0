"""The step loop of recurrent layers, with Keras's masking rules.

At a masked step the state is carried over unchanged and the output repeats the
previous step's output (zeros before the first unmasked step), or is zero with
``zero_output_for_mask``. ``go_backwards`` walks the steps from last to first and
returns the outputs in that (processing) order. The "last output" is the output of
the final processed step after masking. These are the rules of Keras's
``backend.rnn``; the fused kernels in ``_fused.py`` reproduce them.
"""

import torch

__all__ = ["flatten_states", "pack_states", "run_steps"]


def flatten_states(states):
    """The tensors of a (possibly nested) list of states, in order."""
    if isinstance(states, (list, tuple)):
        return [leaf for item in states for leaf in flatten_states(item)]
    return [states]


def pack_states(structure, flat):
    """``flat`` tensors back in the nesting of ``structure`` (lists)."""
    flat = list(flat)

    def pack(item):
        if isinstance(item, (list, tuple)):
            return [pack(child) for child in item]
        return flat.pop(0)

    return pack(structure)


def _per_sample(keep, like):
    """A ``(batch,)`` boolean as ``(batch, 1, ..., 1)`` to select between tensors ``like``."""
    return keep.reshape(keep.shape + (1,) * (like.dim() - 1))


def run_steps(step, steps, initial_states, mask=None, go_backwards=False,
              zero_output_for_mask=False, return_all_outputs=True):
    """Runs ``step(t, states) -> (output, new_states)`` over ``steps`` time steps.

    Args:
        step: the cell's computation at time index ``t`` (an index into the original,
            unreversed sequence).
        steps: number of time steps (at least 1).
        initial_states: list (possibly nested) of state tensors.
        mask: optional boolean ``(batch, steps)`` tensor; False marks padding.
        go_backwards: process the steps from last to first.
        zero_output_for_mask: zeros, rather than the previous output, at masked steps.
        return_all_outputs: stack every step's output (else only the last is kept).

    Returns:
        ``(last_output, outputs, final_states)``: ``outputs`` is ``(batch, steps, ...)``
        in processing order (``(batch, 1, ...)`` without ``return_all_outputs``).
    """
    states = initial_states
    outputs = []
    previous = None
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    for t in order:
        output, new_states = step(t, states)
        if mask is not None:
            keep = mask[:, t]
            if previous is None:
                previous = torch.zeros_like(output)
            fallback = torch.zeros_like(output) if zero_output_for_mask else previous
            output = torch.where(_per_sample(keep, output), output, fallback)
            merged = [torch.where(_per_sample(keep, new), new, old)
                      for new, old in zip(flatten_states(new_states), flatten_states(states))]
            new_states = pack_states(new_states, merged)
            previous = output
        states = new_states
        if return_all_outputs or not outputs:
            outputs.append(output)
        else:
            outputs[0] = output
    return outputs[-1], torch.stack(outputs, dim=1), states

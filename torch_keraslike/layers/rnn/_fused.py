"""The fused recurrent kernels (``torch.lstm``, ``torch.gru``, ``torch.rnn_tanh``,
``torch.rnn_relu``) with Keras's masking rules.

``run_fused`` takes weights in torch's layout and gate order and returns the outputs
of every step (in processing order) and the final states:

- no mask (or a mask without padding): one call of the sequence kernel;
- a mask whose True entries form one run per sequence (right padding, as
  ``pad_sequences(padding="post")`` makes, left padding, or both): each run is moved
  to the start of its row, the batch is packed (``pack_padded_sequence``) and runs in
  one kernel call, and the outputs are put back where Keras has them: zeros before
  the run, the run's outputs, then the last output repeated (or zeros with
  ``zero_output_for_mask``); the final states are those after each run;
- any other mask: a step loop with the same cell formulas (``_loop.run_steps``).

Under ``torch.compile`` the whole computation is one custom operator
(``torch_keraslike::fused_rnn``): inductor cannot compile ``torch.lstm``'s oneDNN path
on CPU, and an opaque operator keeps the fused kernel, keeps the caller's graph whole
(no graph break) and keeps the number of time steps dynamic. Its backward recomputes
the forward with autograd inside a second custom operator.
"""

import contextlib
from typing import List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from torch.utils._python_dispatch import is_in_torch_dispatch_mode

from ... import symbolic
from ._loop import run_steps

__all__ = ["run_from_zeros", "run_fused", "zeros_like"]


def run_fused(mode, x, states, params, has_biases, mask=None, go_backwards=False,
              zero_output_for_mask=False, need_states=True, last_only=False):
    """Runs a whole sequence through a fused kernel with Keras's masking rules.

    Args:
        mode: ``"lstm"``, ``"gru"``, ``"rnn_tanh"`` or ``"rnn_relu"``.
        x: ``(batch, steps, features)``, dropout already applied.
        states: list of ``(batch, units)`` initial states (``[h, c]`` for LSTM).
        params: ``[w_ih, w_hh, b_ih, b_hh]`` (or ``[w_ih, w_hh]`` without biases) in
            torch's layout and gate order.
        has_biases: whether ``params`` holds biases.
        mask: optional ``(batch, steps)`` boolean mask.
        go_backwards: process the steps from last to first (outputs in that order).
        zero_output_for_mask: zeros instead of the previous output at masked steps.
        need_states: whether the final states are used; without them a padded LSTM
            batch runs unpacked (torch's packed kernels are slower on CPU).
        last_only: only ``outputs[:, -1]`` is used (``return_sequences=False``): a
            padded batch then places one output per row instead of every step.

    Returns:
        ``(outputs, final_states)``, ``outputs`` of shape ``(batch, steps, units)``
        (with ``last_only``, possibly ``(batch, 1, units)``: the last step's outputs);
        ``final_states`` may be None when ``need_states`` is False.
    """
    if go_backwards:
        x = x.flip(1)
        mask = None if mask is None else mask.flip(1)
    if mask is not None and mask.dtype != torch.bool:
        mask = mask.bool()
    if torch.compiler.is_compiling():
        results = torch.ops.torch_keraslike.fused_rnn(
            mode, x, mask, list(states), list(params), has_biases, zero_output_for_mask, need_states)
        # Views: dynamo cannot set attributes (the ``_keras_mask`` of the outputs) on the
        # operator's own outputs.
        results = [r.view_as(r) for r in results]
        return results[0], (results[1:] if need_states else None)
    return _run(mode, x, mask, states, params, has_biases, zero_output_for_mask, need_states,
                torch.is_grad_enabled(), last_only)


def _run(mode, x, mask, states, params, has_biases, zero_output_for_mask, need_states, train,
         last_only=False, runs=None):
    if mask is not None:
        # Without data (symbolic inference, meta tensors) only the step loop applies.
        if runs is None and not (symbolic.is_fake(mask) or mask.is_meta):
            runs = _Runs.of(mask)
        if runs is None:
            return _masked_loop(mode, x, mask, states, params, has_biases, zero_output_for_mask)
        if not runs.full:
            if mode == "lstm" and need_states:
                return _packed(x, runs, states, params, has_biases, zero_output_for_mask, train,
                               last_only)
            return _aligned(mode, x, runs, states, params, has_biases, zero_output_for_mask,
                            need_states, train, last_only)
    return _kernel(mode, x, [s.unsqueeze(0) for s in states], params, has_biases, train, need_states)


def _kernel(mode, x, hx, params, has_biases, train, need_states):
    """One call of torch's sequence kernel (``hx``: states of shape ``(1, batch, units)``)."""
    params = _cudnn_ready(params)
    if mode == "lstm":
        outputs, h, c = torch.lstm(x, hx, params, has_biases, 1, 0.0, train, False, True)
        return outputs, ([h[0], c[0]] if need_states else None)
    # The mode is the name of torch's kernel (torch.gru, torch.rnn_tanh...).
    outputs, h = getattr(torch, mode)(x, hx[0], params, has_biases, 1, 0.0, train, False, True)
    return outputs, ([h[0]] if need_states else None)


def run_from_zeros(mode, x, units, params, has_biases, go_backwards=False, need_states=True, mask=None,
                   zero_output_for_mask=False, last_only=False):
    """:func:`run_fused` from zero states: the common call, with as little Python
    around the kernel as can be."""
    compiling = torch.compiler.is_compiling()
    if mask is not None and not (compiling or go_backwards) and mask.dtype == torch.bool:
        # A padded batch, inlined: each Python step here costs microseconds (it runs
        # right after the kernel has evicted it from the caches).
        runs = None if symbolic.is_fake(mask) or mask.is_meta else _Runs.of(mask)
        zeros = x.new_zeros(x.shape[0], units)
        if runs is not None and not runs.full and not need_states:
            return _aligned(mode, x, runs, [zeros, zeros], params, has_biases, zero_output_for_mask, False,
                            torch.is_grad_enabled(), last_only)
        return _run(mode, x, mask, [zeros] * (2 if mode == "lstm" else 1), params, has_biases,
                    zero_output_for_mask, need_states, torch.is_grad_enabled(), last_only, runs)
    if mask is not None or compiling:
        zeros = x.new_zeros(x.shape[0], units)
        return run_fused(mode, x, [zeros] * (2 if mode == "lstm" else 1), params, has_biases, mask=mask,
                         go_backwards=go_backwards, zero_output_for_mask=zero_output_for_mask,
                         need_states=need_states, last_only=last_only)
    if go_backwards:
        x = x.flip(1)
    zeros = x.new_zeros(1, x.shape[0], units)
    return _kernel(mode, x, [zeros, zeros], params, has_biases, torch.is_grad_enabled(), need_states)


class _Runs:
    """Where each row's run of True steps starts and how long it is, when every row
    has at most one run. Read on the host (one transfer of the mask): a handful of
    NumPy operations on a small array cost less than the same torch operations, and
    the index arrays built here turn the placement of the outputs into one gather."""

    def __init__(self, starts, lengths, steps, mask, right_padded):
        self.starts, self.lengths, self.steps = starts, lengths, steps
        # (``is_cpu`` is a cheaper question than ``device.type``: this runs on every call)
        self.device = None if mask.is_cpu else mask.device
        self.right_padded = right_padded  # every run starts at step 0 (or is empty)
        shortest = int(lengths.min()) if len(lengths) else steps
        self.full, self.has_empty = shortest == steps, shortest == 0

    @classmethod
    def of(cls, mask):
        host = mask.numpy() if mask.is_cpu else mask.cpu().numpy()
        lengths = host.sum(1)
        steps = host.shape[1]
        if (host[:, 1:] <= host[:, :-1]).all():  # rows never rise: right padding, the usual case
            return cls(None, lengths, steps, mask, True)
        rises = host[:, 1:] & ~host[:, :-1]
        if (host[:, 0] + rises.sum(1) > 1).any():
            return None
        return cls(host.argmax(1), lengths, steps, mask, False)

    def tensor(self, values):
        if values.dtype != np.int64 or not values.flags.c_contiguous:
            values = np.ascontiguousarray(values, dtype=np.int64)
        values = torch.from_numpy(values)
        return values if self.device is None else values.to(self.device)

    def output_index(self, zero_output_for_mask):
        """For each output position, the position in ``[zeros, run outputs...]`` it
        takes: 0 for zeros, ``k`` for the run's step ``k - 1``."""
        position = np.arange(self.steps)[None, :]
        start = 0 if self.right_padded else self.starts[:, None]
        length = self.lengths[:, None]
        index = np.where((position >= start) & (position < start + length), position - start + 1, 0)
        if not zero_output_for_mask:
            index = np.where((position >= start + length) & (length > 0), length, index)
        return index


_ZEROS = {}


def zeros_like(tensor):
    """Zeros of ``tensor``'s shape, dtype and device, kept for reuse: torch's kernels
    take a recurrent bias where Keras has none, and nothing ever writes to it."""
    if (torch.compiler.is_compiling() or symbolic.is_fake(tensor) or tensor.is_meta
            or is_in_torch_dispatch_mode()):  # a fake (or other) mode would make the cached zeros its own
        return torch.zeros_like(tensor)
    key = (tuple(tensor.shape), tensor.dtype, tensor.device)
    zeros = _ZEROS.get(key)
    if zeros is None:
        if len(_ZEROS) > 64:
            _ZEROS.clear()
        zeros = _ZEROS[key] = torch.zeros(key[0], dtype=key[1], device=key[2])
    return zeros


def _cudnn_ready(params):
    """Packs the weights into one buffer in cuDNN's layout, as ``nn.LSTM`` keeps them.

    cuDNN needs a layer's weights in one contiguous chunk; given separate tensors it
    compacts them itself on every call and warns. Packing here costs the same copy and
    no warning.
    """
    if not params[0].is_cuda:
        return params
    flat = torch.cat([p.reshape(-1) for p in params])
    views, offset = [], 0
    for p in params:
        views.append(flat[offset:offset + p.numel()].view(p.shape))
        offset += p.numel()
    return views


def _rows(tensor, index, runs):
    """``out[b, t] = tensor[b, index[b, t]]`` as one row selection (``index_select`` on
    contiguous rows is a copy loop; ``gather`` with a broadcast index is several times
    slower here)."""
    batch, steps = index.shape
    time_major = tensor.transpose(0, 1)  # torch's kernels produce time-major storage
    flat = time_major.reshape(-1, tensor.shape[-1])
    rows = runs.tensor(index * batch + np.arange(batch)[:, None]).reshape(-1)
    return flat.index_select(0, rows).view(batch, steps, tensor.shape[-1])


def _last_rows(run_outputs, runs):
    """``run_outputs[b, lengths[b] - 1]`` as ``(batch, 1, units)``: :func:`_rows` for one
    column, with the index computed in two operations (this runs on every masked call
    with ``return_sequences=False``, right after the kernel, where each operation
    costs several microseconds)."""
    batch = len(runs.lengths)
    # Row ``(length - 1) * batch + b`` of the time-major outputs.
    rows = runs.tensor(runs.lengths * batch + (np.arange(batch) - batch))
    return run_outputs.transpose(0, 1).reshape(-1, run_outputs.shape[-1]).index_select(0, rows).unsqueeze(1)


def _align(x, runs):
    """Each row's run moved to the start of the row (the steps after it are junk the
    kernel runs over causally, without effect on the run)."""
    if runs.right_padded:
        return x
    return _rows(x, np.minimum(runs.starts[:, None] + np.arange(runs.steps)[None, :], runs.steps - 1), runs)


def _place(run_outputs, runs, zero_output_for_mask, last_only=False):
    """Outputs of the aligned runs put where Keras has them: zeros before a run, the
    run's outputs, then its last output repeated (zeros with ``zero_output_for_mask``);
    with ``last_only``, only the last step's column."""
    if runs.right_padded and not zero_output_for_mask and not runs.has_empty:
        # Each step past a run repeats the run's last output.
        if last_only:  # one row per sequence: its last output
            return _last_rows(run_outputs, runs)
        index = np.minimum(np.arange(runs.steps)[None, :], runs.lengths[:, None] - 1)
        return _rows(run_outputs, index, runs)
    zeros = run_outputs.new_zeros(run_outputs.shape[0], 1, run_outputs.shape[2])
    index = runs.output_index(zero_output_for_mask)
    return _rows(torch.cat([zeros, run_outputs], 1), index[:, -1:] if last_only else index, runs)


def _final(runs, run_outputs, initial):
    """The state after each run (the initial state for rows without steps)."""
    last = _rows(run_outputs, np.maximum(runs.lengths - 1, 0)[:, None], runs)[:, 0]
    if not runs.has_empty:
        return last
    return torch.where(runs.tensor(runs.lengths)[:, None] > 0, last, initial)


def _aligned(mode, x, runs, states, params, has_biases, zero_output_for_mask, need_states, train,
             last_only=False):
    """Padded batch in one unpacked kernel call; the final state is the output after
    each run (all there is, except an LSTM's cell state)."""
    run_outputs, _ = _kernel(mode, _align(x, runs), [s.unsqueeze(0) for s in states], params, has_biases,
                             train, False)
    outputs = _place(run_outputs, runs, zero_output_for_mask, last_only)
    if mode == "lstm" or not need_states:
        return outputs, None
    return outputs, [_final(runs, run_outputs, states[0])]


def _packed(x, runs, states, params, has_biases, zero_output_for_mask, train, last_only=False):
    """Padded LSTM batch packed (``pack_padded_sequence``), for the final cell states."""
    # An empty row cannot be packed: it runs one step whose results are discarded.
    packed = pack_padded_sequence(_align(x, runs), torch.from_numpy(np.maximum(runs.lengths, 1)),
                                  batch_first=True, enforce_sorted=False)
    hx = [s.index_select(0, packed.sorted_indices).unsqueeze(0) for s in states]
    data, h, c = torch.lstm(packed.data, packed.batch_sizes, hx, _cudnn_ready(params), has_biases,
                            1, 0.0, train, False)
    finals = [f[0].index_select(0, packed.unsorted_indices) for f in (h, c)]
    if runs.has_empty:
        has_steps = runs.tensor(runs.lengths)[:, None] > 0
        finals = [torch.where(has_steps, f, s) for f, s in zip(finals, states)]
    run_outputs, _ = pad_packed_sequence(
        PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices),
        batch_first=True, total_length=x.shape[1])
    return _place(run_outputs, runs, zero_output_for_mask, last_only), finals


def _masked_loop(mode, x, mask, states, params, has_biases, zero_output_for_mask):
    step = _cell_step(mode, x, params, has_biases)
    _, outputs, finals = run_steps(step, x.shape[1], states, mask=mask,
                                   zero_output_for_mask=zero_output_for_mask)
    return outputs, finals


def _cell_step(mode, x, params, has_biases):
    """One step of torch's cell formulas, with the input projection of every step
    computed at once."""
    w_ih, w_hh = params[0], params[1]
    b_ih, b_hh = (params[2], params[3]) if has_biases else (None, None)
    projected = F.linear(x, w_ih, b_ih)

    if mode == "lstm":
        def step(t, states):
            h, c = states
            i, f, g, o = (projected[:, t] + F.linear(h, w_hh, b_hh)).chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            return h, [h, c]
    elif mode == "gru":
        def step(t, states):
            (h,) = states
            x_r, x_z, x_n = projected[:, t].chunk(3, dim=-1)
            h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, dim=-1)
            r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
            h = (1 - z) * torch.tanh(x_n + r * h_n) + z * h
            return h, [h]
    else:
        activation = torch.tanh if mode == "rnn_tanh" else torch.relu

        def step(t, states):
            h = activation(projected[:, t] + F.linear(states[0], w_hh, b_hh))
            return h, [h]
    return step


# ------------------------------------------------------------ torch.compile
@contextlib.contextmanager
def _autograd_inside_operator():
    """Re-enables autograd inside a custom operator's implementation, where torch
    excludes the autograd dispatch keys (as torch's own ``invoke_leaf_function``
    does), so the backward operator can differentiate the recomputed forward."""
    keys = torch._C.DispatchKey
    exclude = torch._C._dispatch_tls_local_exclude_set()
    for key in (keys.AutogradOther, keys.AutogradNestedTensor, keys.ADInplaceOrView,
                keys.AutogradFunctionality):
        exclude = exclude.remove(key)
    with torch._C._ForceDispatchKeyGuard(torch._C._dispatch_tls_local_include_set(), exclude):
        with torch.enable_grad():
            yield


@torch.library.custom_op("torch_keraslike::fused_rnn", mutates_args=())
def _fused_rnn_operator(mode: str, x: Tensor, mask: Optional[Tensor], states: List[Tensor],
                        params: List[Tensor], has_biases: bool, zero_output_for_mask: bool,
                        need_states: bool) -> List[Tensor]:
    outputs, finals = _run(mode, x, mask, states, params, has_biases, zero_output_for_mask,
                           need_states, False)
    # Fresh, contiguous tensors: what the fake implementation promises.
    return [outputs.contiguous()] + ([f.contiguous() for f in finals] if need_states else [])


@_fused_rnn_operator.register_fake
def _fused_rnn_fake(mode, x, mask, states, params, has_biases, zero_output_for_mask, need_states):
    outputs = x.new_empty(x.shape[0], x.shape[1], states[0].shape[-1])
    return [outputs] + ([s.new_empty(s.shape) for s in states] if need_states else [])


@torch.library.custom_op("torch_keraslike::fused_rnn_backward", mutates_args=())
def _fused_rnn_backward_operator(mode: str, grads: List[Tensor], x: Tensor,
                                 mask: Optional[Tensor], states: List[Tensor],
                                 params: List[Tensor], has_biases: bool, zero_output_for_mask: bool,
                                 need_states: bool) -> List[Tensor]:
    with _autograd_inside_operator():
        leaves = [t.detach().requires_grad_(True) for t in [x, *states, *params]]
        count = len(states)
        outputs, finals = _run(mode, leaves[0], mask, leaves[1:1 + count], leaves[1 + count:],
                               has_biases, zero_output_for_mask, need_states, True)
        results = [outputs, *(finals if need_states else [])]
        found = torch.autograd.grad(results, leaves, grads, allow_unused=True)
    return [torch.zeros_like(leaf) if g is None else g.contiguous() for g, leaf in zip(found, leaves)]


@_fused_rnn_backward_operator.register_fake
def _fused_rnn_backward_fake(mode, grads, x, mask, states, params, has_biases,
                             zero_output_for_mask, need_states):
    return [torch.empty_like(t) for t in [x, *states, *params]]


def _setup_context(ctx, inputs, output):
    mode, x, mask, states, params, has_biases, zero_output_for_mask, need_states = inputs
    ctx.flags = (mode, has_biases, zero_output_for_mask, need_states, len(states), mask is not None)
    ctx.save_for_backward(x, *states, *params, *([mask] if mask is not None else []))


def _backward(ctx, grads):
    mode, has_biases, zero_output_for_mask, need_states, count, masked = ctx.flags
    saved = list(ctx.saved_tensors)
    mask = saved.pop() if masked else None
    x, states, params = saved[0], saved[1:1 + count], saved[1 + count:]
    shapes = [(x.shape[0], x.shape[1], states[0].shape[-1])] + ([s.shape for s in states] if need_states else [])
    grads = [torch.zeros(shape, dtype=x.dtype, device=x.device) if g is None else g
             for g, shape in zip(grads, shapes)]
    found = torch.ops.torch_keraslike.fused_rnn_backward(
        mode, grads, x, mask, states, params, has_biases, zero_output_for_mask, need_states)
    return None, found[0], None, found[1:1 + count], found[1 + count:], None, None, None


_fused_rnn_operator.register_autograd(_backward, setup_context=_setup_context)

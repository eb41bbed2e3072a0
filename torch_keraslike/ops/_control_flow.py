"""Control flow and function transforms of ``keras.ops``: ``cond``, ``switch``,
``while_loop``, ``fori_loop``, ``scan``, ``map``, ``associative_scan``,
``vectorized_map``, ``numpy.vectorize`` and ``custom_gradient``.

They follow Keras's torch backend: the Python functions run eagerly (``cond`` becomes
``torch.cond`` while ``torch.compile`` traces, so it compiles without a graph break);
on symbolic tensors shapes are inferred from one run of each function on fake tensors.
Loops iterate over steps, never over elements: each step works on whole tensors.
"""

import builtins
import functools
import re

import torch

from .._dtypes import dtype_name
from ..symbolic import flatten, is_fake
from ._base import canonical_axis, shape_str, tensors
from ._symbolic import exported, keras_op


def _pack(structure, flat):
    """``flat`` (a list of leaves) in the nesting of ``structure`` (see ``flatten``)."""
    leaves = iter(flat)

    def build(node):
        if isinstance(node, (list, tuple)):
            items = [build(item) for item in node]
            return type(node)(*items) if hasattr(node, "_fields") else type(node)(items)
        if isinstance(node, dict):
            return {key: build(value) for key, value in node.items()}
        return next(leaves)

    return build(structure)


def _any_fake(*values):
    return builtins.any(isinstance(v, torch.Tensor) and is_fake(v) for v in flatten(list(values)))




def _check_callable(value, op, name):
    if not callable(value):
        raise TypeError(f"{op}: {name} must be a callable, received {value!r}.")



def _same_structure(first, second, op):
    a, b = flatten(first), flatten(second)
    same = len(a) == len(b) and all(
        (not isinstance(x, torch.Tensor) and not isinstance(y, torch.Tensor))
        or (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor) and x.shape == y.shape
            and x.dtype == y.dtype) for x, y in zip(a, b))
    if not same:
        def show(values):
            return [f"{shape_str(v.shape)} {dtype_name(v.dtype)}" if isinstance(v, torch.Tensor) else repr(v)
                    for v in values]

        raise ValueError(
            f"{op}: both branches must return the same structure of tensors with the same shapes "
            f"and dtypes; received {show(a)} and {show(b)}."
        )



@keras_op("core", wrap_errors=False)
def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``.

    Args:
        pred: a bool, or a 0-d tensor (read as a bool).
        true_fn: callable taking no arguments.
        false_fn: callable taking no arguments, returning the same structure of
            tensors (same shapes and dtypes) when ``pred`` is a tensor.

    Returns:
        The output of the chosen function. Under ``torch.compile`` a tensor ``pred``
        becomes ``torch.cond`` (both branches are traced, no graph break).

    Example:
        >>> import torch
        >>> from torch_keraslike import ops
        >>> ops.cond(torch.tensor(True), lambda: 1.0, lambda: 2.0)
        1.0
    """
    _check_callable(true_fn, "ops.cond", "true_fn")
    _check_callable(false_fn, "ops.cond", "false_fn")
    if isinstance(pred, torch.Tensor):
        if pred.numel() != 1:
            raise ValueError(f"ops.cond: pred must be a single value, received shape {shape_str(pred.shape)}.")
        if torch.compiler.is_compiling():
            return torch.cond(pred.reshape(()), true_fn, false_fn, ())
        if is_fake(pred):  # shape inference on symbolic inputs: both branches must agree
            outputs = true_fn()
            _same_structure(outputs, false_fn(), "ops.cond")
            return outputs
        pred = bool(pred)
    return true_fn() if pred else false_fn()



@keras_op("core", wrap_errors=False)
def switch(index, branches, *operands):
    """``branches[index](*operands)``, with ``index`` clamped to the valid range.

    Args:
        index: an int or 0-d integer tensor.
        branches: list of callables.
        *operands: arguments for the chosen branch.

    Returns:
        The chosen branch's output.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.switch(1, [lambda x: x + 1, lambda x: x * 10], 2)
        20
    """
    if not isinstance(branches, (list, tuple)) or not branches:
        raise ValueError(f"ops.switch: branches must be a non-empty list of callables, received {branches!r}.")
    for branch in branches:
        _check_callable(branch, "ops.switch", "each branch")
    if isinstance(index, torch.Tensor) and is_fake(index):
        outputs = branches[0](*operands)
        for branch in branches[1:]:
            _same_structure(outputs, branch(*operands), "ops.switch")
        return outputs
    position = min(max(int(index), 0), len(branches) - 1)
    return branches[position](*operands)



@keras_op("core", wrap_errors=False)
def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeats ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds.

    Args:
        cond: callable returning a bool or 0-d bool tensor.
        body: callable returning new loop variables of the same structure.
        loop_vars: a tensor or a tuple/list of tensors.
        maximum_iterations: optional limit on the number of iterations.

    Returns:
        The final loop variables, in the structure of ``loop_vars``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.while_loop(lambda i: i < 10, lambda i: i * 2, ops.array(1))
        tensor(16, dtype=torch.int32)
    """
    _check_callable(cond, "ops.while_loop", "cond")
    _check_callable(body, "ops.while_loop", "body")
    is_sequence = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if is_sequence else (loop_vars,)
    leaves = flatten(list(state))
    state = _pack(state, tensors(*leaves, op="ops.while_loop") if leaves else [])
    if _any_fake(*state):  # shape inference: one step must keep the shapes
        step = body(*state)
        _same_structure(tuple(step) if isinstance(step, (list, tuple)) else (step,), state, "ops.while_loop")
        return loop_vars if is_sequence else state[0]
    iteration = 0
    while (maximum_iterations is None or iteration < maximum_iterations) and bool(cond(*state)):
        state = body(*state)
        state = tuple(state) if isinstance(state, (list, tuple)) else (state,)
        iteration += 1
    return type(loop_vars)(state) if is_sequence else state[0]



@keras_op("core", wrap_errors=False)
def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``.

    Args:
        lower: first index (int or 0-d tensor).
        upper: end index, excluded.
        body_fun: callable ``(i, val) -> val``.
        init_val: initial value (any structure of tensors).

    Returns:
        The final value.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.fori_loop(0, 4, lambda i, total: total + i, ops.array(0))
        tensor(6, dtype=torch.int32)
    """
    _check_callable(body_fun, "ops.fori_loop", "body_fun")
    if _any_fake(init_val, lower, upper):
        _same_structure(body_fun(int(lower) if not isinstance(lower, torch.Tensor) else lower, init_val),
                        init_val, "ops.fori_loop")
        return init_val
    value = init_val
    for index in range(int(lower), int(upper)):
        value = body_fun(index, value)
    return value



@keras_op("core", wrap_errors=False)
def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Carries a state through the steps of ``xs`` (``jax.lax.scan``): for each slice
    ``x`` along axis 0, ``carry, y = f(carry, x)``; the ``y`` are stacked.

    Args:
        f: callable ``(carry, x) -> (carry, y)``.
        init: initial carry (any structure of tensors).
        xs: sequences to scan (any structure of tensors with a common first axis), or
            ``None`` with ``length``.
        length: number of steps when ``xs`` is None.
        reverse: scan from the last step to the first (``ys`` keep the input order).
        unroll: accepted for Keras compatibility (a positive int or a bool).

    Returns:
        ``(final_carry, stacked_ys)``.

    Example:
        >>> from torch_keraslike import ops
        >>> carry, ys = ops.scan(lambda c, x: (c + x, c * x), ops.array(0), ops.arange(1, 4))
        >>> carry, ys
        (tensor(6, dtype=torch.int32), tensor([0, 2, 9], dtype=torch.int32))
    """
    _check_callable(f, "ops.scan", "f")
    if not isinstance(unroll, bool) and not (isinstance(unroll, int) and unroll >= 1):
        raise ValueError(f"ops.scan: unroll must be a positive int or a bool, received {unroll!r}.")
    if xs is None and length is None:
        raise ValueError("ops.scan: pass the sequences xs, or the number of steps as length.")
    flat_xs = [] if xs is None else tensors(*flatten(xs), op="ops.scan")
    steps = int(length) if length is not None else flat_xs[0].shape[0]
    wrong = [tuple(t.shape) for t in flat_xs if t.ndim == 0 or t.shape[0] != steps]
    if wrong:
        raise ValueError(f"ops.scan: every sequence in xs needs a first axis of {steps} steps, received shapes {wrong}.")
    flat_init = flatten(init)
    carry = _pack(init, tensors(*flat_init, op="ops.scan") if flat_init else [])

    def step_input(i):
        return None if xs is None else _pack(xs, [t[i] for t in flat_xs])

    if steps and _any_fake(carry, *flat_xs):  # shape inference: one step gives every shape
        carry, y = f(carry, step_input(0))
        return carry, _stack_like(y, steps)
    ys = []
    for i in (range(steps - 1, -1, -1) if reverse else range(steps)):
        carry, y = f(carry, step_input(i))
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    stacked = [torch.stack(column) for column in zip(*(flatten(y) for y in ys))]
    return carry, _pack(ys[0], stacked)



def _stack_like(y, steps):
    leaves = [t.unsqueeze(0).expand(steps, *t.shape).clone() for t in flatten(y)]
    return _pack(y, leaves)



@keras_op("core", wrap_errors=False)
def map(f, xs):
    """``f`` applied to each slice of ``xs`` along axis 0, the results stacked
    (``jax.lax.map``; use ``vectorized_map`` for a batched version).

    Args:
        f: callable on one slice.
        xs: tensor or structure of tensors with a common first axis.

    Returns:
        The stacked results.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.map(lambda x: x.sum(), ops.ones((3, 2)))
        tensor([2., 2., 2.])
    """
    _check_callable(f, "ops.map", "f")
    return scan._tkl_op_impl(lambda carry, x: ((), f(x)), (), xs)[1]



@keras_op("core", wrap_errors=False)
def associative_scan(f, elems, reverse=False, axis=0):
    """Prefix "sums" with an associative ``f`` in ``log2(n)`` vectorized steps
    (``jax.lax.associative_scan``).

    Args:
        f: associative callable ``(a, b) -> c`` on whole slices (element-wise over
            the scanned axis), taking and returning the structure of ``elems``.
        elems: tensor or structure of tensors with a common size along ``axis``.
        reverse: scan from the end.
        axis: the scanned axis.

    Returns:
        The running combinations, in the structure of ``elems``.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.associative_scan(lambda a, b: a + b, ops.arange(1, 6))
        tensor([ 1,  3,  6, 10, 15], dtype=torch.int32)
    """
    _check_callable(f, "ops.associative_scan", "f")
    leaves = tensors(*flatten(elems), op="ops.associative_scan")
    axis = canonical_axis(axis, leaves[0].ndim, "ops.associative_scan")
    size = leaves[0].shape[axis]
    if any(t.shape[axis] != size for t in leaves):
        raise ValueError(
            f"ops.associative_scan: all elems need the same size along axis {axis}, received "
            f"shapes {[tuple(t.shape) for t in leaves]}."
        )
    if reverse:
        leaves = [torch.flip(t, (axis,)) for t in leaves]

    def part(values, start, stop=None, step=1):
        index = [builtins.slice(None)] * values[0].ndim
        index[axis] = builtins.slice(start, stop, step)
        return [v[tuple(index)] for v in values]

    def combine(a, b):
        return flatten(f(_pack(elems, a), _pack(elems, b)))

    def interleave(even, odd):
        # even holds positions 0, 2, 4..., odd 1, 3, 5...; one more even when odd-sized.
        extra = even.shape[axis] - odd.shape[axis]
        head = even.narrow(axis, 0, odd.shape[axis])
        merged = torch.stack([head, odd], dim=axis + 1).flatten(axis, axis + 1)
        return torch.cat([merged, even.narrow(axis, even.shape[axis] - 1, 1)], dim=axis) if extra else merged

    def run(values):
        count = values[0].shape[axis]
        if count < 2:
            return values
        odd = run(combine(part(values, 0, -1, 2), part(values, 1, None, 2)))
        if count % 2 == 0:
            even = combine(part(odd, 0, -1), part(values, 2, None, 2))
        else:
            even = combine(odd, part(values, 2, None, 2))
        even = [torch.cat([first, rest], dim=axis) for first, rest in zip(part(values, 0, 1), even)]
        return [interleave(e, o) for e, o in zip(even, odd)]

    scanned = run(leaves)
    if reverse:
        scanned = [torch.flip(t, (axis,)) for t in scanned]
    return _pack(elems, scanned)



@keras_op("core", wrap_errors=False)
def vectorized_map(function, elements):
    """``function`` applied to each slice of ``elements`` along axis 0, vectorized with
    ``torch.vmap`` (one batched call, no loop).

    Args:
        function: callable on one slice (a tensor or a structure of tensors).
        elements: tensor or structure of tensors with a common first axis.

    Returns:
        The batched results.

    Example:
        >>> from torch_keraslike import ops
        >>> ops.vectorized_map(lambda x: x @ x, ops.ones((4, 3)))
        tensor([3., 3., 3., 3.])
    """
    _check_callable(function, "ops.vectorized_map", "function")
    leaves = flatten(elements)
    elements = _pack(elements, tensors(*leaves, op="ops.vectorized_map"))
    return torch.vmap(function)(elements)



class _CustomGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, forward_fn, *args):
        result = forward_fn(*args)
        if not (isinstance(result, tuple) and len(result) == 2 and callable(result[1])):
            raise TypeError(
                "ops.custom_gradient: the decorated function must return (output, grad_fn), where "
                "grad_fn(*args, upstream) returns the gradients of the inputs."
            )
        output, ctx.grad_fn = result
        ctx.save_for_backward(*[a for a in args if isinstance(a, torch.Tensor)])
        ctx.positions = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
        ctx.count = len(args)
        return output

    @staticmethod
    def backward(ctx, upstream):
        saved = dict(zip(ctx.positions, ctx.saved_tensors))
        grads = ctx.grad_fn(*[saved.get(i) for i in range(ctx.count)], upstream=upstream)
        grads = grads if isinstance(grads, tuple) else (grads,)
        return (None,) + tuple(grads)



@keras_op("core", symbolic=False, wrap_errors=False)
def custom_gradient(f):
    """Decorator giving ``f`` a hand-written gradient.

    ``f(*args)`` returns ``(output, grad_fn)``; in the backward pass
    ``grad_fn(*args, upstream=g)`` returns the gradient of each input given the
    output's gradient ``g`` (Keras's torch calling convention).

    Args:
        f: the function.

    Returns:
        The decorated function.

    Example:
        >>> import torch
        >>> from torch_keraslike import ops
        >>> @ops.custom_gradient
        ... def clipped_identity(x):
        ...     return x, lambda *args, upstream: upstream.clamp(-1, 1)
        >>> x = torch.tensor([3.0], requires_grad=True)
        >>> (clipped_identity(x) * 5).sum().backward()
        >>> x.grad
        tensor([1.])
    """
    _check_callable(f, "ops.custom_gradient", "f")

    def wrapper(*args):
        return _CustomGradient.apply(f, *args)

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = getattr(f, "__doc__", None)
    return wrapper



_CORE_DIMS = re.compile(r"\(([\w,\s]*)\)")



def _parse_signature(signature):
    """``"(n),(n)->()"`` -> ``([("n",), ("n",)], [()])``."""
    if not isinstance(signature, str) or signature.count("->") != 1:
        raise ValueError(f"ops.vectorize: invalid signature {signature!r}; expected e.g. '(n),(n)->()'.")
    inputs, outputs = signature.replace(" ", "").split("->")

    def dims(side):
        return [tuple(d for d in group.split(",") if d) for group in _CORE_DIMS.findall(side)]

    return dims(inputs), dims(outputs)



@keras_op("numpy", symbolic=False, wrap_errors=False)
def vectorize(pyfunc, *, excluded=None, signature=None):
    """Turns a function of single elements (or of core blocks, with ``signature``) into
    one that broadcasts over its tensor arguments, batched by ``torch.vmap``.

    Args:
        pyfunc: the function.
        excluded: positions or names of arguments passed through unchanged.
        signature: NumPy's generalized-ufunc signature, e.g. ``"(n),(n)->()"``.

    Returns:
        The vectorized function.

    Example:
        >>> from torch_keraslike import ops
        >>> dot = ops.vectorize(lambda a, b: (a * b).sum(), signature="(n),(n)->()")
        >>> dot(ops.ones((4, 3)), ops.ones(3))
        tensor([3., 3., 3., 3.])
    """
    if not callable(pyfunc):
        raise ValueError(f"ops.vectorize: pyfunc must be a callable, received {pyfunc!r}.")
    excluded = set(excluded or ())
    input_cores = _parse_signature(signature)[0] if signature is not None else None

    @functools.wraps(pyfunc)
    def wrapped(*args, **kwargs):
        dynamic = [i for i, a in enumerate(args) if i not in excluded and a is not None]
        names = [k for k in kwargs if k not in excluded]
        values = tensors(*[args[i] for i in dynamic], *[kwargs[k] for k in names], op="ops.vectorize")
        cores = input_cores or [()] * len(values)
        if len(cores) != len(values):
            raise ValueError(
                f"ops.vectorize: the signature {signature!r} describes {len(cores)} inputs, received {len(values)}."
            )
        loop = torch.broadcast_shapes(*(v.shape[: v.ndim - len(c)] for v, c in zip(values, cores)))
        flat = [v.expand(*loop, *v.shape[v.ndim - len(c):]).reshape(-1, *v.shape[v.ndim - len(c):])
                for v, c in zip(values, cores)]

        def one(*items):
            call_args, call_kwargs = list(args), dict(kwargs)
            for position, item in zip(dynamic + names, items):
                if isinstance(position, int):
                    call_args[position] = item
                else:
                    call_kwargs[position] = item
            return pyfunc(*call_args, **call_kwargs)

        result = torch.vmap(one)(*flat)
        return _pack(result, [r.reshape(*loop, *r.shape[1:]) for r in flatten(result)])

    return wrapped



__all__ = exported(globals())

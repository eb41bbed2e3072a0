"""``TorchLion``: the Lion optimizer (Chen et al., 2023) as a ``torch.optim.Optimizer``.

torch has no Lion; Keras 3 does. The update, per weight ``w`` with gradient ``g`` and
momentum ``m``::

    w -= lr * sign(beta_1 * m + (1 - beta_1) * g)
    m  = beta_2 * m + (1 - beta_2) * g

Example:
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0, -1.0]))
    >>> opt = TorchLion([w], lr=0.1)
    >>> w.grad = torch.tensor([0.5, -2.0])
    >>> opt.step()
    >>> w.detach()
    tensor([ 0.9000, -0.9000])
"""

import torch

__all__ = ["TorchLion"]


class TorchLion(torch.optim.Optimizer):
    """Lion: sign of an interpolated momentum.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        betas: ``(beta_1, beta_2)``: interpolation of the update, decay of the momentum.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.99)):
        if not 0.0 < betas[0] <= 1.0 or not 0.0 <= betas[1] <= 1.0:
            raise ValueError(f"TorchLion: betas must lie in (0, 1] and [0, 1], received {betas!r}.")
        super().__init__(params, {"lr": lr, "betas": betas})

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta_1, beta_2 = group["betas"]
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            momenta = []
            for p in params:
                state = self.state[p]
                if "momentum" not in state:
                    state["momentum"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                momenta.append(state["momentum"])
            updates = torch._foreach_lerp(momenta, grads, 1.0 - beta_1)
            torch._foreach_sign_(updates)
            torch._foreach_add_(params, updates, alpha=-group["lr"])
            torch._foreach_lerp_(momenta, grads, 1.0 - beta_2)
        return loss

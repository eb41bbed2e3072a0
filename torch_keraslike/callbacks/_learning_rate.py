"""Reading and setting the learning rate of the model's ``torch.optim`` optimizer.

A torch optimizer keeps one ``lr`` per parameter group (a float, or a tensor for
``capturable``/fused optimizers); the callbacks change every group. The logs get
``learning_rate`` (the first group's rate, Keras's key) and, when the optimizer has
several groups, ``learning_rate_<i>`` for each group ``i``.

Example:
    >>> import torch
    >>> from torch_keraslike.callbacks._learning_rate import learning_rate_logs, set_lr
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    >>> set_lr(opt.param_groups[0], 0.05)
    >>> learning_rate_logs(opt)
    {'learning_rate': 0.05}
"""

import torch

__all__ = ["get_lr", "learning_rate_logs", "param_groups", "set_lr"]


def param_groups(callback):
    """The parameter groups of ``callback.model.optimizer``, or a clear error."""
    cls = type(callback).__name__
    model = callback.model
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(
            f"{cls}: the model has no optimizer yet, so there is no learning rate to "
            "schedule. Fix: use this callback in model.fit(...) after model.compile(optimizer=...)."
        )
    groups = getattr(optimizer, "param_groups", None)
    if not groups or any("lr" not in group for group in groups):
        raise ValueError(
            f"{cls}: model.optimizer ({type(optimizer).__name__}) has no param_groups with an "
            "'lr' entry, so its learning rate cannot be set. Fix: compile with a "
            "torch.optim optimizer (e.g. 'adam' or torch.optim.SGD(...))."
        )
    return groups


def get_lr(group):
    """The group's learning rate as a Python float."""
    lr = group["lr"]
    return float(lr.item() if isinstance(lr, torch.Tensor) else lr)


def set_lr(group, value):
    """Sets the group's learning rate, in place when it is a tensor (torch requires
    tensor learning rates to stay tensors)."""
    lr = group["lr"]
    if isinstance(lr, torch.Tensor):
        with torch.no_grad():
            lr.fill_(value)
    else:
        group["lr"] = float(value)


def learning_rate_logs(optimizer):
    """``{"learning_rate": ...}`` (plus one entry per group when there are several)."""
    groups = optimizer.param_groups
    logs = {"learning_rate": get_lr(groups[0])}
    if len(groups) > 1:
        logs.update({f"learning_rate_{index}": get_lr(group) for index, group in enumerate(groups)})
    return logs

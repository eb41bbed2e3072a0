"""``Config``: a dict of named settings with attribute access, freezing and JSON."""

import copy
import difflib
import json

__all__ = ["Config"]


class Config:
    """A dict-like container of named values (hyper-parameters, experiment settings).

    Values are read and set as attributes or items; :meth:`freeze` makes it read-only;
    :meth:`to_json` serializes it. Iterating yields the keys in sorted order.

    Args:
        **kwargs: the initial entries.

    Example:
        >>> config = Config(learning_rate=0.1)
        >>> config.momentum = 0.9
        >>> config["seed"] = 1
        >>> config.learning_rate, config["momentum"], list(config)
        (0.1, 0.9, ['learning_rate', 'momentum', 'seed'])
        >>> config.freeze()
        >>> config.seed = 2
        Traceback (most recent call last):
        ...
        ValueError: Cannot set 'seed': the config is frozen. Call config.unfreeze() first.
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        """Whether the config refuses changes."""
        return self._frozen

    def freeze(self):
        """Refuses every later change (until :meth:`unfreeze`)."""
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        """Allows changes again."""
        object.__setattr__(self, "_frozen", False)

    def _check_mutable(self, what):
        if self._frozen:
            raise ValueError(f"Cannot {what}: the config is frozen. Call config.unfreeze() first.")

    def as_dict(self):
        """A shallow copy of the entries as a plain dict."""
        return copy.copy(self._config)

    def to_json(self):
        """The entries as a JSON string."""
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, key, default=None):
        return self._config.get(key, default)

    def pop(self, *args):
        self._check_mutable(f"pop {args[0]!r}" if args else "pop")
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._check_mutable("update")
        self._config.update(*args, **kwargs)

    def __getattr__(self, name):
        # Only reached for names that are not attributes of the object itself.
        config = vars(self).get("_config", {})
        if name in config:
            return config[name]
        message = f"Unknown attribute: {name!r}."
        close = difflib.get_close_matches(name, [str(k) for k in config], n=1, cutoff=0.7)
        if close:
            message += f" Did you mean {close[0]!r}?"
        raise AttributeError(message)

    def __setattr__(self, name, value):
        # Methods and properties are the object's own; every other name is an entry.
        if hasattr(type(self), name):
            raise AttributeError(f"Cannot set {name!r}: it is a method or property of Config.")
        self._check_mutable(f"set {name!r}")
        self._config[name] = value

    def __delattr__(self, name):
        self._check_mutable(f"delete {name!r}")
        if name not in self._config:
            raise AttributeError(f"Unknown attribute: {name!r}.")
        del self._config[name]

    def __setitem__(self, key, value):
        self._check_mutable(f"set {key!r}")
        self._config[key] = value

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._check_mutable(f"delete {key!r}")
        del self._config[key]

    def __contains__(self, key):
        return key in self._config

    def __iter__(self):
        return iter(sorted(self._config))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"

    def __getstate__(self):
        return {"_config": self._config, "_frozen": self._frozen}

    def __setstate__(self, state):
        for key, value in state.items():
            object.__setattr__(self, key, value)

"""tkl.utils.Config: attribute/dict access, freezing, JSON."""

import copy
import json
import pickle

import pytest

from torch_keraslike.utils import Config


def test_attribute_and_item_access():
    config = Config(learning_rate=0.1, momentum=0.9)
    config.use_ema = True
    config["seed"] = 123
    assert config.seed == 123 and config["learning_rate"] == 0.1 and config.use_ema
    assert list(config) == ["learning_rate", "momentum", "seed", "use_ema"]
    assert len(config) == 4 and "seed" in config and "nope" not in config
    assert dict(config.items())["momentum"] == 0.9 and set(config.keys()) == set(config.as_dict())
    assert list(config.values())[0] == 0.1 and config.get("missing", 5) == 5
    assert json.loads(config.to_json()) == config.as_dict()
    assert repr(Config(a=1)) == "<Config {'a': 1}>"
    config.update(momentum=0.5)
    assert config.pop("momentum") == 0.5 and config.pop("momentum", None) is None
    del config.use_ema
    del config["seed"]
    assert list(config) == ["learning_rate"]


def test_unknown_attribute_suggests_the_closest_key():
    config = Config(learning_rate=0.1)
    with pytest.raises(AttributeError, match=r"Unknown attribute: 'learning_rat'. Did you mean 'learning_rate'\?"):
        config.learning_rat
    with pytest.raises(AttributeError, match=r"Unknown attribute: 'xyz'.$"):
        del config.xyz


def test_frozen_config_refuses_every_change():
    config = Config(a=1)
    config.freeze()
    assert config.frozen
    for change in (lambda: setattr(config, "a", 2), lambda: config.__setitem__("b", 2),
                   lambda: config.update(a=3), lambda: config.pop("a"), lambda: config.__delitem__("a"),
                   lambda: delattr(config, "a")):
        with pytest.raises(ValueError, match="the config is frozen. Call config.unfreeze"):
            change()
    assert config.as_dict() == {"a": 1}
    config.unfreeze()
    config.a = 2
    assert config.a == 2


def test_methods_cannot_be_overwritten_and_copies_work():
    config = Config(a=[1])
    with pytest.raises(AttributeError, match=r"Cannot set 'freeze': it is a method or property of Config"):
        config.freeze = 1
    clone = copy.deepcopy(config)
    clone.a.append(2)
    assert config.a == [1]
    restored = pickle.loads(pickle.dumps(config))
    assert restored.a == [1] and not restored.frozen

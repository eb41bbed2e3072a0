"""tkl.utils.Progbar: Keras's progress bar for custom loops."""

import re

import pytest

from torch_keraslike.utils import Progbar


def test_verbose_2_prints_one_line_with_running_averages(capsys):
    bar = Progbar(target=4, verbose=2)
    bar.update(1, values=[("loss", 4.0), ("acc", 0.5)])
    bar.update(3, values=[("loss", 1.0), ("acc", 0.75)])  # covers 2 steps: weight 2
    assert capsys.readouterr().out == ""
    bar.update(4)
    line = capsys.readouterr().out
    assert re.fullmatch(r"4/4 - \d+s - \d+[mu]?s/step - loss: 2\.0000 - acc: 0\.6667\n", line), line


def test_stateful_metrics_are_shown_as_given(capsys):
    bar = Progbar(target=2, verbose=2, stateful_metrics=["lr"], unit_name="sample")
    bar.update(1, values=[("lr", 0.1), ("loss", 1.0)])
    bar.add(1, values=[("lr", 0.01)])
    out = capsys.readouterr().out
    assert "sample - lr: 0.0100 - loss: 1.0000" in out


def test_stateless_metrics_list_inverts_the_rule(capsys):
    bar = Progbar(target=3, verbose=2, stateless_metrics=["loss"])
    bar.update(1, values=[("loss", 1.0), ("seen", 10.0)])
    bar.update(2, values=[("loss", 3.0), ("seen", 20.0)])
    bar.update(3)
    assert "loss: 2.0000 - seen: 20.0000" in capsys.readouterr().out


def test_final_values_replace_the_averages(capsys):
    bar = Progbar(target=2, verbose=2)
    bar.update(1, values=[("loss", 10.0)])
    bar.update(2, values=[("loss", 1.5)])
    assert "loss: 1.5000" in capsys.readouterr().out


def test_verbose_1_draws_a_bar(capsys):
    bar = Progbar(target=3, verbose=1, interval=0)
    for step in range(1, 4):
        bar.update(step, values=[("loss", 1.0 / step)])
    out = capsys.readouterr().out
    assert "3/3" in out and "loss:" in out
    unknown = Progbar(target=None, verbose=1)
    unknown.update(5)
    unknown.update(7, finalize=True)
    assert "7/Unknown" in capsys.readouterr().out


def test_verbose_0_is_silent(capsys):
    bar = Progbar(target=2, verbose=0)
    bar.update(2, values=[("loss", 1.0)])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("kwargs,message", [
    ({"stateful_metrics": ["a"], "stateless_metrics": ["b"]}, r"give only one of `stateful_metrics`"),
    ({"verbose": 3}, r"verbose must be 0 \(silent\), 1 \(live bar\) or 2 \(one line\), received verbose=3"),
    ({"target": -1}, r"`target` must be an int >= 0 or None, received target=-1"),
    ({"width": 0}, r"`width` must be a positive int"),
])
def test_errors(kwargs, message):
    arguments = {"target": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        Progbar(**arguments)

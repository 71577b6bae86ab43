"""Issue 10, the smaller points: a nested ``check()`` numbers its fits among the outer check's,
and a notice built from an exception says what went wrong (not ``in user code:``)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import gradmagic
from gradmagic.evidence.activations import ActivationProbe
from gradmagic.core.errors import describe_error

TF_ERROR = (
    "in user code:\n\n"
    '    File "/tmp/train.py", line 12, in call  *\n'
    "        return self.dense(x)\n\n"
    '    ValueError: Input 0 of layer "dense" is incompatible with the layer: expected axis -1 to have '
    "value 4, but received input with shape (None, 3)\n"
)


def _model(loss="mse"):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss)
    return model


def _argmax_loss(y_true, y_pred):
    return tf.reduce_mean(tf.cast(tf.argmax(y_pred, axis=-1), tf.float32))


def test_nested_checks_number_the_inner_fits_after_the_outer_ones():
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    x = np.random.rand(16, 4).astype("float32")
    y = np.random.rand(16, 3).astype("float32")
    model, broken = _model(), _model(_argmax_loss)
    with gradmagic.check() as outer:
        model.fit(x, y, epochs=1, verbose=0)
        with gradmagic.check() as inner, pytest.raises(ValueError, match="No gradients provided"):
            broken.fit(x, y, epochs=1, verbose=0)
        model.fit(x, y, epochs=1, verbose=0)
    assert [(fit.index, fit.status) for fit in inner.fits] == [(0, "failed")]
    assert [(fit.index, fit.status) for fit in outer.fits] == [(0, "completed"), (1, "failed"), (2, "completed")]
    assert len({fit.line for fit in outer.fits}) == 3
    gm003 = [finding for finding in outer.findings if finding.code == "GM003"]
    assert gm003 and all(finding.fit_indices == [1] for finding in gm003)
    assert [finding.fit_indices for finding in inner.findings if finding.code == "GM003"] == [[0]]


def test_describe_error_keeps_the_line_that_says_what_went_wrong():
    assert describe_error(ValueError(TF_ERROR)).startswith('ValueError: Input 0 of layer "dense" is incompatible')
    wrapped = TypeError("Exception encountered when calling Dense.call().\n\nunsupported operand\n\nArguments ...")
    assert describe_error(wrapped) == "TypeError: unsupported operand"
    assert describe_error(RuntimeError()) == "RuntimeError"
    assert len(describe_error(ValueError("x" * 1000))) < 230


def test_a_notice_from_an_exception_says_what_went_wrong(monkeypatch):
    def measure(self, step, epoch):
        raise ValueError(TF_ERROR)

    monkeypatch.setattr(ActivationProbe, "measure", measure)
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    x = np.random.rand(16, 4).astype("float32")
    y = np.random.rand(16, 3).astype("float32")
    model = _model()
    with gradmagic.check() as report:
        model.fit(x, y, epochs=1, verbose=0)
    probed = [notice for notice in report.notices if notice.startswith("activations could not be probed")]
    assert probed, report.notices
    assert 'ValueError: Input 0 of layer "dense" is incompatible' in probed[0]
    assert "in user code" not in probed[0] and "\n" not in probed[0]

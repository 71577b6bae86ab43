"""A healthy program trains to the same weights, bit for bit, with and without gradmagic."""

import numpy as np
import pytest
from helpers import PROGRAMS, check_source, run_plain, weights_of

HEALTHY = ["mlp", "cnn", "regression", "multi_output", "custom_train_step", "gan_alternating"]


@pytest.mark.parametrize("name", HEALTHY)
def test_weights_and_history_identical(name):
    path = PROGRAMS / "healthy" / f"{name}.py"
    source = path.read_text()
    plain = run_plain(source, str(path))
    checked = check_source(source, str(path))
    assert checked.error is None
    assert [f.status for f in checked.report.fits] == ["completed"]
    for before, after in zip(weights_of(plain), weights_of(checked.namespace), strict=True):
        np.testing.assert_array_equal(before, after)
    assert plain["history"].history == checked.namespace["history"].history
    serious = [f.code for f in checked.report.findings if f.severity in ("error", "warning")]
    assert serious == []


def test_unbuilt_model_gets_the_same_initial_weights():
    source = """
import numpy as np, keras, tensorflow as tf
keras.utils.set_random_seed(1)
x = np.random.rand(32, 3).astype("float32"); y = np.random.rand(32, 1).astype("float32")
model = keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
history = model.fit(x, y, epochs=1, verbose=0)
"""
    plain = run_plain(source, "/tmp/unbuilt.py")
    checked = check_source(source, "/tmp/unbuilt.py")
    for before, after in zip(weights_of(plain), weights_of(checked.namespace), strict=True):
        np.testing.assert_array_equal(before, after)

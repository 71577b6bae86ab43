"""A healthy program trains to the same weights, bit for bit, with and without gradmagic."""

from pathlib import Path

import keras
import numpy as np
import pytest
from helpers import PROGRAMS, check_source, run_plain, weights_of

HEALTHY = sorted(path.stem for path in (PROGRAMS / "healthy").glob("*.py"))
TEXT_FILES = {".txt", ".csv", ".json", ".log"}


def _models(namespace: dict) -> dict[str, keras.Model]:
    return {name: value for name, value in namespace.items() if isinstance(value, keras.Model)}


def _histories(namespace: dict) -> dict[str, dict]:
    return {name: value.history for name, value in namespace.items() if isinstance(value, keras.callbacks.History)}


def _files(folder: Path) -> dict[str, bytes | int]:
    """What a program wrote: text files by content, binary ones (HDF5 keeps timestamps) by name."""
    written = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            written[str(path.relative_to(folder))] = path.read_bytes() if path.suffix in TEXT_FILES else 0
    return written


@pytest.mark.parametrize("name", HEALTHY)
def test_weights_history_output_and_files_identical(name, capsys, tmp_path, monkeypatch):
    """Every healthy program: the same weights of every model, the same histories, the same output, the
    same files written (each run in a folder of its own)."""
    path = PROGRAMS / "healthy" / f"{name}.py"
    source = path.read_text()
    (tmp_path / "plain").mkdir()
    (tmp_path / "checked").mkdir()
    monkeypatch.chdir(tmp_path / "plain")
    plain = run_plain(source, str(path))
    plain_out = capsys.readouterr().out
    monkeypatch.chdir(tmp_path / "checked")
    checked = check_source(source, str(path))
    checked_out = capsys.readouterr().out
    assert _files(tmp_path / "plain") == _files(tmp_path / "checked")
    assert checked.error is None
    assert checked.report.fits and all(f.status == "completed" for f in checked.report.fits)
    models = _models(plain)
    assert models and models.keys() == _models(checked.namespace).keys()
    for model_name, model in models.items():
        after = _models(checked.namespace)[model_name].get_weights()
        for before, now in zip(model.get_weights(), after, strict=True):
            np.testing.assert_array_equal(before, now)
    assert _histories(plain) == _histories(checked.namespace)
    assert plain_out == checked_out
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

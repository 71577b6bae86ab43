"""The evidence the rules read is plain data: its types, and the rules, import no TensorFlow (issue 11)."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from pathlib import Path

import gradmagic

PACKAGE = Path(gradmagic.__file__).parent


def _modules(folder: str) -> list[str]:
    return sorted(f"gradmagic.{folder.replace('/', '.')}.{path.stem}" for path in (PACKAGE / folder).glob("*.py")
                  if path.stem != "__init__")


def _heavy_after_importing(modules: list[str]) -> list[str]:
    """In a fresh interpreter: import ``modules``, return which of tensorflow/keras got imported."""
    code = ("import importlib, json, sys\n"
            f"for name in {modules!r}:\n"
            "    importlib.import_module(name)\n"
            "print(json.dumps([m for m in ('tensorflow', 'keras') if m in sys.modules]))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_facts_modules_exist():
    assert {"data", "model", "preflight", "probe", "recording", "history"} <= {
        name.rsplit(".", 1)[1] for name in _modules("evidence/facts")}


def test_fit_evidence_and_facts_import_no_tensorflow():
    modules = ["gradmagic.evidence.fit_evidence", *_modules("evidence/facts")]
    assert _heavy_after_importing(modules) == []


def test_rules_import_no_tensorflow():
    modules = _modules("rules")
    if not _heavy_after_importing(modules):
        return
    offenders = [name for name in modules if _heavy_after_importing([name])]
    assert not offenders, f"rule modules that import TensorFlow or Keras: {offenders}"


def test_fit_evidence_types_what_it_measured():
    from gradmagic.evidence.facts.preflight import Preflight
    from gradmagic.evidence.facts.probe import ProbeResult
    from gradmagic.evidence.facts.recording import Recording
    from gradmagic.evidence.fit_evidence import FitEvidence

    hints = typing.get_type_hints(FitEvidence)
    assert hints["probe"] == ProbeResult | None
    assert hints["preflight"] == Preflight | None
    assert hints["recording"] == Recording | None


def _live_objects(value, path: str = "evidence", seen: set[int] | None = None) -> list[str]:
    """Paths under ``value`` that hold a TensorFlow or Keras object."""
    import dataclasses

    import numpy as np

    seen = set() if seen is None else seen
    if id(value) in seen or value is None or isinstance(value, (str, bytes, int, float, bool, np.generic)):
        return []
    seen.add(id(value))
    module = type(value).__module__ or ""
    if module.split(".")[0] in ("tensorflow", "keras", "tf_keras"):
        return [f"{path}: {type(value).__module__}.{type(value).__name__}"]
    if isinstance(value, np.ndarray):
        return [f"{path}: ndarray of objects"] if value.dtype == object else []
    if dataclasses.is_dataclass(value):
        items = ((f"{path}.{f.name}", getattr(value, f.name)) for f in dataclasses.fields(value))
    elif isinstance(value, dict):
        items = ((f"{path}[{key!r}]", item) for key, item in value.items())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    elif hasattr(value, "__dict__"):  # BucketHistory and other plain holders
        items = ((f"{path}.{name}", item) for name, item in vars(value).items())
    else:
        return [f"{path}: {module}.{type(value).__name__}"]
    return [found for sub_path, item in items for found in _live_objects(item, sub_path, seen)]


def test_the_evidence_of_real_fits_holds_no_live_object():
    import builtins

    import keras

    from gradmagic.pipeline.session import check

    source = """import numpy as np, tensorflow as tf, keras
keras.utils.set_random_seed(0)
x = np.random.rand(32, 4).astype("float32"); y = np.random.randint(0, 3, size=(32,))
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, batch_size=8, epochs=1, verbose=0)
model.fit(((x[i:i + 8], y[i:i + 8]) for i in range(0, 32, 8)), epochs=1, verbose=0)
model.fit(tf.data.Dataset.from_tensor_slices((x, {"a": y})).map(lambda a, b: (a, b["a"])).batch(8), epochs=1,
          verbose=0)
"""
    filename = "/tmp/gradmagic_plain_evidence.py"
    keras.backend.clear_session()
    session = check(source, filename)
    namespace = {"__name__": "__main__", "__file__": filename, "__builtins__": builtins}
    with session as report:
        exec(compile(source, filename, "exec"), namespace)
    assert len(session.evidence) == 3, report.notices
    assert [fit.data.kind for fit in session.evidence] == ["arrays", "generator", "dataset"]
    assert all(fit.preflight is not None and fit.recording is not None for fit in session.evidence), report.notices
    assert all(fit.data.y is not None and len(fit.data.y) == 8 for fit in session.evidence)
    found = [item for fit in session.evidence for item in _live_objects(fit)]
    assert not found, "live objects in the evidence:\n" + "\n".join(found)


def _dataclasses_under(cls: type, seen: set[type]) -> None:
    """``cls`` and every dataclass its fields are typed with, transitively."""
    import dataclasses

    if cls in seen or not dataclasses.is_dataclass(cls):
        return
    seen.add(cls)
    for hint in typing.get_type_hints(cls).values():
        for part in _type_parts(hint):
            _dataclasses_under(part, seen)


def _type_parts(hint: object) -> list:
    args = typing.get_args(hint)
    return [hint, *(part for arg in args for part in _type_parts(arg))] if args else [hint]


def test_no_field_of_the_evidence_is_typed_any():
    from gradmagic.evidence.fit_evidence import FitEvidence

    classes: set[type] = set()
    _dataclasses_under(FitEvidence, classes)
    assert len(classes) >= 15, sorted(c.__name__ for c in classes)  # the walk reaches the nested facts
    loose = [f"{cls.__name__}.{name}" for cls in classes for name, hint in typing.get_type_hints(cls).items()
             if any(part is typing.Any for part in _type_parts(hint))]
    assert not loose, f"evidence fields typed Any: {loose}"


def test_the_rules_read_sealed_evidence_and_a_later_fit_cannot_change_an_earlier_ones(tmp_path):
    import dataclasses

    import numpy as np
    import pytest

    import gradmagic

    source = ("import keras, numpy as np\n"
              "keras.utils.set_random_seed(0)\n"
              "x = np.random.rand(32, 3).astype('float32'); y = x.sum(axis=1, keepdims=True)\n"
              "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation='relu'), keras.layers.Dense(1)])\n"
              "model.compile(optimizer='adam', loss='mse')\n"
              "model.fit(x, y, epochs=1, verbose=0)\n"
              "model.fit(x, y, epochs=1, verbose=0)\n")
    session = gradmagic.check(source, str(tmp_path / "two_fits.py"))
    with session:
        exec(compile(source, str(tmp_path / "two_fits.py"), "exec"), {"np": np})
    first = session.evidence[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.status = "failed"
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.model_info.layers[0].activation = "tanh"  # nested facts are sealed too
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.recording.steps = 0

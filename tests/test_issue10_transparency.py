"""Issue 10: gradmagic stays transparent under unusual but ordinary programs.

Whatever stands at ``keras.Model.fit`` gets exactly the arguments the user passed; ``check()``
re-raises; options work; importing gradmagic is cheap; control characters come out escaped.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import traceback
from pathlib import Path

import keras
import numpy as np
import pytest

import gradmagic

ROOT = Path(__file__).resolve().parents[1]


# -- 1. wrap without re-binding ------------------------------------------------------------

def _data():
    rng = np.random.default_rng(3)
    return rng.random((32, 4), dtype=np.float32), rng.random((32, 1), dtype=np.float32)


def _train(model_class, call):
    """Build a tiny seeded model and run ``call(model, x, y)``; returns the model's weights."""
    keras.backend.clear_session()
    keras.utils.set_random_seed(3)
    x, y = _data()
    model = model_class([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    call(model, x, y)
    return [np.array(w) for w in model.get_weights()]


CALLS = {
    "keywords": lambda m, x, y: m.fit(x, y, epochs=2, batch_size=8, verbose=0),
    "positional": lambda m, x, y: m.fit(x, y, 8, 2, 0),
    "positional_callbacks": lambda m, x, y: m.fit(x, y, 8, 2, 0, [keras.callbacks.History()]),
    "keyword_callbacks": lambda m, x, y: m.fit(x, y, 8, epochs=2, verbose=0, callbacks=[keras.callbacks.History()]),
}


def _seen(args, kwargs):
    """What a wrapper records of its arguments: positional count, keyword names, callback types."""
    callbacks = args[5] if len(args) > 5 else kwargs.get("callbacks")
    return len(args), sorted(kwargs), [type(c).__name__ for c in callbacks or []]


def _without_recorder(seen):
    count, names, callbacks = seen
    return count, names, [c for c in callbacks if c != "_HostCallback"]


@pytest.fixture(params=["plain", "functools.wraps"])
def class_level_wrapper(request):
    """A user's logging wrapper put at ``keras.Model.fit`` before any check starts."""
    original = keras.Model.__dict__.get("fit")
    real = keras.Model.fit
    seen = []

    def logged(self, *args, **kwargs):
        seen.append(_seen(args, kwargs))
        return real(self, *args, **kwargs)

    keras.Model.fit = functools.wraps(real)(logged) if request.param == "functools.wraps" else logged
    try:
        yield seen
    finally:
        if original is None:
            del keras.Model.fit
        else:
            keras.Model.fit = original


@pytest.mark.parametrize("how", list(CALLS))
def test_a_class_level_wrapper_trains_and_gets_the_users_arguments(class_level_wrapper, how):
    seen = class_level_wrapper
    plain = _train(keras.Sequential, CALLS[how])
    plain_seen = list(seen)
    seen.clear()
    with gradmagic.check("", "/tmp/gm_wrapper.py", reraise=True) as report:
        checked = _train(keras.Sequential, CALLS[how])
    assert [f.status for f in report.fits] == ["completed"], report.fits
    for before, after in zip(plain, checked, strict=True):
        np.testing.assert_array_equal(before, after)
    assert len(seen) == 1 and len(plain_seen) == 1
    count, names, callbacks = seen[0]
    assert callbacks.count("_HostCallback") == 1, callbacks  # the one callback gradmagic adds
    if "callbacks" in plain_seen[0][1] or plain_seen[0][0] > 5:
        assert _without_recorder(seen[0]) == plain_seen[0]  # callbacks stay where the user put them
    else:
        assert (count, [n for n in names if n != "callbacks"]) == plain_seen[0][:2]


class LoggingModel(keras.Sequential):
    seen: list = []

    def fit(self, *args, **kwargs):
        LoggingModel.seen.append(_seen(args, kwargs))
        return super().fit(*args, **kwargs)


def test_a_subclass_overriding_fit_trains_with_the_same_weights():
    LoggingModel.seen = []
    plain = _train(LoggingModel, CALLS["positional_callbacks"])
    with gradmagic.check("", "/tmp/gm_subclass.py", reraise=True) as report:
        checked = _train(LoggingModel, CALLS["positional_callbacks"])
    assert [f.status for f in report.fits] == ["completed"]
    for before, after in zip(plain, checked, strict=True):
        np.testing.assert_array_equal(before, after)
    assert LoggingModel.seen == [(6, [], ["History"])] * 2


def test_a_generator_is_still_sampled_and_replayed_under_a_wrapper(class_level_wrapper):
    def batches(x, y):
        for _ in range(2):
            for start in range(0, 32, 8):
                yield x[start:start + 8], y[start:start + 8]

    def call(model, x, y):
        model.fit(batches(x, y), epochs=1, steps_per_epoch=8, verbose=0)

    plain = _train(keras.Sequential, call)
    session = gradmagic.check("", "/tmp/gm_generator.py", reraise=True)
    with session as report:
        checked = _train(keras.Sequential, call)
    assert [f.status for f in report.fits] == ["completed"]
    assert session.evidence[0].data.kind == "generator" and session.evidence[0].data.available \
        and len(session.evidence[0].data.y) == 8  # the first batch was sampled (and replayed to fit)
    assert class_level_wrapper[-1][:2] == (1, ["callbacks", "epochs", "steps_per_epoch", "verbose"])
    for before, after in zip(plain, checked, strict=True):
        np.testing.assert_array_equal(before, after)


# -- 2. check() re-raises by default --------------------------------------------------------

def test_check_reraises_the_fits_exception_after_the_report_is_complete():
    import tensorflow as tf

    def argmax_loss(y_true, y_pred):
        return tf.reduce_mean(tf.cast(tf.argmax(y_pred, axis=-1), tf.float32))

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    x, _ = _data()
    y = np.arange(32) % 2
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss=argmax_loss)
    report = None
    with pytest.raises(ValueError, match="No gradients provided") as raised:
        with gradmagic.check("", "/tmp/gm_reraise.py") as report:
            model.fit(x, y, epochs=1, verbose=0)
    assert report is not None and [f.status for f in report.fits] == ["failed"]
    assert report.fits[0].exception_type == "ValueError"
    assert "GM001" in report.codes()  # diagnosed before the exception left the block
    assert report.duration_s is not None
    assert "fit" not in keras.Model.__dict__
    frames = [frame.filename for frame in traceback.extract_tb(raised.value.__traceback__)]
    assert frames[0] == __file__ and "keras" in frames[-1]
    assert not [name for name in frames if os.sep + "gradmagic" + os.sep in name]  # as without gradmagic

    with gradmagic.check("", "/tmp/gm_reraise.py", reraise=False) as kept:
        assert model.fit(x, y, epochs=1, verbose=0) is None
    assert [f.status for f in kept.fits] == ["failed"]


# -- 4. cheap to load ------------------------------------------------------------------------

def test_importing_gradmagic_and_loading_the_extension_leave_tensorflow_out():
    code = """
import sys
import gradmagic
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "import gradmagic"
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "gradmagic")
assert "gradcheck" in shell.magics_manager.magics["cell"], "not registered"
assert "tensorflow" not in sys.modules and "keras" not in sys.modules, "%load_ext gradmagic"
print("light")
"""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "light", done.stderr[-2000:]


# -- 5. escaping -----------------------------------------------------------------------------

def _hostile_report():
    from gradmagic.report.model import Finding, FitRecord, Report

    evil = "evil\x1b[31m"
    source = f'x = 1\nlayer = keras.layers.Dense(2, name="{evil}")\nmodel.fit(x)\n'
    finding = Finding(code="GM304", name="dead-units", severity="warning", message=f"layer `{evil}` is dead\x07",
                      line=2, layer=evil, notes=[f"note about {evil}"], evidence={"layer": evil},
                      help=f"help \x9b{evil}")
    fit = FitRecord(index=0, line=3, status="failed", exception_type="ValueError",
                    exception_message=f"bad \x1b[1mbold\x1b[0m {evil}", model_name=evil)
    return Report(source=source, filename="/tmp/gm_evil.py", fits=[fit], findings=[finding],
                  notices=[f"notice {evil}\x08"])


@pytest.mark.parametrize("color", [False, True])
def test_control_characters_in_user_strings_are_escaped_in_the_text_report(color):
    from gradmagic.views.text import COLORS, render_report

    report = _hostile_report()
    text = render_report(report, color=color)
    for code in COLORS.values():  # gradmagic's own colours, when asked for, are the only raw ESC
        text = text.replace(code, "")
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\x08" not in text
    assert 'name="evil\\x1b[31m")' in text  # the code frame's source line
    assert "(layer `evil\\x1b[31m`)" in text and "is dead\\x07" in text
    assert "help \\x9bevil" in text and "notice evil\\x1b[31m\\x08" in text
    assert "with ValueError: bad bold evil\n" in text  # colour markup in an exception message is dropped
    assert report.findings[0].layer == "evil\x1b[31m"  # the report itself is not changed


def test_control_characters_are_escaped_in_the_records_text_and_html():
    from gradmagic.views.record import MIME_TYPE, record_bundle

    bundle = record_bundle(_hostile_report())
    assert "\x1b" not in bundle["text/plain"] and "evil\\x1b[31m" in bundle["text/plain"]
    assert "\x1b" not in bundle["text/html"]
    assert bundle[MIME_TYPE]["findings"][0]["layer"] == "evil\x1b[31m"  # the JSON keeps the real name

"""Scripts a Keras user really writes run the same under gradmagic, and odd endings stay clear.

Each test runs a tiny seeded program with and without gradmagic (or through the CLI) and
asserts what the user sees: the same numbers, the same output, and a clear report.
"""

import json
import sys

import keras
from helpers import check_source, run_plain

from gradmagic import check, cli
from gradmagic.views.text import render_report

ARRAYS = """
import keras
import numpy as np
keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 4)).astype("float32")
y = (x[:, :1] > 0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer="adam", loss="binary_crossentropy")
"""


def test_pickling_a_class_defined_in_the_script_works():
    # `python FILE` makes the script `sys.modules["__main__"]`; pickle looks classes up there
    source = ARRAYS + """
import pickle
from dataclasses import dataclass

@dataclass
class Config:
    units: int = 8

history = model.fit(x, y, epochs=1, verbose=0)
restored = pickle.loads(pickle.dumps(Config(3)))
"""
    main_before = sys.modules["__main__"]
    run = check_source(source, "/tmp/gm_pickle_config.py")
    assert run.error is None, repr(run.error)
    assert run.namespace["restored"].units == 3
    assert sys.modules["__main__"] is main_before


def test_pydataset_augmentation_draws_the_same_noise():
    # sampling calls `__getitem__(0)` once more; the random draws it makes must not shift `fit`'s
    source = ARRAYS + """
class Noisy(keras.utils.PyDataset):
    def __init__(self):
        super().__init__()
        self.noise = np.random.default_rng(1)
        self.calls = 0

    def __len__(self):
        return 4

    def __getitem__(self, index):
        self.calls += 1
        part = slice(index * 16, (index + 1) * 16)
        jitter = self.noise.normal(0, 0.5, size=(16, 4)) + np.random.normal(0, 0.5)
        return (x[part] + jitter).astype("float32"), y[part]

data = Noisy()
history = model.fit(data, epochs=2, verbose=0, shuffle=False)
"""
    plain = run_plain(source, "/tmp/gm_pydataset_noise.py")
    checked = check_source(source, "/tmp/gm_pydataset_noise.py")
    assert checked.error is None and checked.report.findings == []
    assert checked.namespace["history"].history == plain["history"].history
    assert checked.namespace["data"].calls == plain["data"].calls


def test_from_generator_dataset_is_not_iterated_an_extra_time():
    source = ARRAYS + """
import tensorflow as tf
pulls = []

def batches():
    for i in range(0, 64, 16):
        pulls.append(i)
        yield x[i:i + 16] + np.random.normal(0, 0.5, size=(16, 4)).astype("float32"), y[i:i + 16]

data = tf.data.Dataset.from_generator(
    batches, output_signature=(tf.TensorSpec((None, 4), tf.float32), tf.TensorSpec((None, 1), tf.float32)))
history = model.fit(data, epochs=2, verbose=0)
"""
    plain = run_plain(source, "/tmp/gm_from_generator.py")
    checked = check_source(source, "/tmp/gm_from_generator.py")
    assert checked.error is None and checked.report.findings == []
    assert checked.namespace["history"].history == plain["history"].history
    assert checked.namespace["pulls"] == plain["pulls"] == [0, 16, 32, 48] * 2


def test_print_in_a_custom_loss_is_not_repeated_by_the_probe(capsys):
    source = ARRAYS.replace('loss="binary_crossentropy"', "loss=noisy_loss").replace(
        "model = keras.Sequential", '''
def noisy_loss(y_true, y_pred):
    print("tracing the loss")
    return keras.losses.binary_crossentropy(y_true, y_pred)

model = keras.Sequential''') + "history = model.fit(x, y, epochs=1, batch_size=16, verbose=0)\n"
    run_plain(source, "/tmp/gm_print_loss.py")
    plain = capsys.readouterr().out.count("tracing the loss")
    keras.backend.clear_session()
    namespace = {"__name__": "__main__"}
    # the probe only (the recorder is checked by its own tests): it traces the loss once more
    with check(source, "/tmp/gm_print_loss.py", options={"record": False}) as report:
        exec(compile(source, "/tmp/gm_print_loss.py", "exec"), namespace)
    assert report.fits[0].status == "completed" and report.findings == []
    assert plain == 2  # Keras traces twice: the first trace creates the optimizer's variables
    assert capsys.readouterr().out.count("tracing the loss") == plain


def test_error_before_any_fit_is_in_the_report_and_json(tmp_path, capsys):
    script = tmp_path / "config_typo.py"
    script.write_text("import keras\nconfig = {'units': 8}\nunits = config['unit']\n")
    out = tmp_path / "report.json"
    assert cli.main(["check", str(script), "--json", str(out)]) == 1  # an uncaught exception (findings.md)
    captured = capsys.readouterr()
    assert "gradmagic: the script stopped at line 3 with `KeyError: 'unit'`" in captured.out
    assert "Traceback (most recent call last):" in captured.err and "KeyError: 'unit'" in captured.err
    data = json.loads(out.read_text())
    assert data["tool_error"] is None and data["fits"] == []
    assert data["notices"] == ["the script stopped at line 3 with `KeyError: 'unit'`"]


def test_sys_exit_message_is_still_printed(tmp_path, capsys):
    script = tmp_path / "gate.py"
    script.write_text(ARRAYS + "history = model.fit(x, y, epochs=1, verbose=0)\n"
                      "import sys\nsys.exit('loss too high')\n")
    keras.backend.clear_session()
    assert cli.main(["check", str(script)]) == 1  # sys.exit("message") exits 1, as under python
    captured = capsys.readouterr()
    assert "loss too high" in captured.err
    assert "1 fit call(s) checked, no problems found" in captured.out


def test_interrupted_and_failed_fits_read_clearly():
    source = ARRAYS + """
class Stop(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt

class DiskFull(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise OSError("disk full")

try:
    model.fit(x, y, epochs=3, verbose=0, callbacks=[Stop()])
except KeyboardInterrupt:
    print("stopped")
try:
    model.fit(x, y, epochs=1, verbose=0, callbacks=[DiskFull()])
except OSError:
    print("not saved")
"""
    run = check_source(source, "/tmp/gm_interrupted.py")
    assert run.error is None
    assert [f.status for f in run.report.fits] == ["interrupted", "failed"]
    assert run.report.findings == []
    text = render_report(run.report, color=False)
    assert "note: fit #1 (line 20): interrupted with KeyboardInterrupt (raised at line 13)\n" in text
    assert "note: fit #2 (line 24): failed with OSError: disk full (raised at line 17)\n" in text
    assert text.endswith("gradmagic: 2 fit call(s) checked, no problems found, but 1 failed for a reason "
                         "gradmagic has no finding for (see the note above)")


def test_source_encodings_are_read_as_python_reads_them(tmp_path, capsys):
    latin = tmp_path / "latin.py"
    latin.write_bytes(b'# -*- coding: latin-1 -*-\nprint("caf\xe9")\n')
    bom = tmp_path / "bom.py"
    bom.write_bytes(b'\xef\xbb\xbfprint("bom")\n')
    assert cli.main(["check", str(latin)]) == 0
    assert cli.main(["check", str(bom)]) == 0
    assert capsys.readouterr().out.splitlines()[::2] == ["caf\xe9", "bom"]
    undecodable = tmp_path / "bytes.py"
    undecodable.write_bytes(b'x = "\xff\xfe"\n')
    out = tmp_path / "report.json"
    assert cli.main(["check", str(undecodable), "--json", str(out)]) == 2
    assert json.loads(out.read_text())["tool_error"].startswith(f"cannot read {undecodable}: ")
    assert "Traceback" not in capsys.readouterr().err


def test_bad_command_lines_exit_2_with_json(tmp_path, capsys):
    script = tmp_path / "tiny.py"
    script.write_text("print('ran')\n")
    out = tmp_path / "report.json"
    assert cli.main(["check", str(script), "--json", str(out), "--epochs", "3"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "usage: python -m gradmagic check FILE [--json OUT] [--no-train] [-- SCRIPT_ARGS...]",
        "error: unrecognized arguments: --epochs 3 (arguments for the script go after `--`)"]
    assert json.loads(out.read_text())["tool_error"].startswith("usage error: unrecognized arguments: --epochs 3")
    assert cli.main(["check", f"--json={out}"]) == 2
    assert json.loads(out.read_text())["tool_error"] == "usage error: the following arguments are required: file"
    assert cli.main(["check", str(script), "--json", str(tmp_path / "missing" / "r.json")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().endswith(f"error: cannot write the JSON report to {tmp_path / 'missing' / 'r.json'}: "
                                "No such file or directory")


def test_internal_failure_keeps_the_findings_in_json(tmp_path, monkeypatch, capsys):
    import gradmagic.views.text as text_view

    def broken(*args, **kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(text_view, "render_report", broken)
    script = tmp_path / "no_loss.py"
    script.write_text(ARRAYS.replace('loss="binary_crossentropy"', "metrics=['mae']")
                      + "try:\n    model.fit(x, y, epochs=1, verbose=0)\nexcept ValueError:\n    pass\n")
    keras.backend.clear_session()
    out = tmp_path / "report.json"
    assert cli.main(["check", str(script), "--json", str(out)]) == 2
    data = json.loads(out.read_text())
    assert data["tool_error"] == "RuntimeError: renderer exploded"
    assert [f["code"] for f in data["findings"]] == ["GM006"] and data["fits"][0]["status"] == "failed"
    assert capsys.readouterr().err.strip() == "gradmagic: internal error: RuntimeError: renderer exploded"


def test_keras_error_before_fit_is_summarised_by_its_cause(tmp_path, capsys):
    script = tmp_path / "symbolic_numpy.py"
    script.write_text("""import keras
import numpy as np


class Clip(keras.layers.Layer):
    def call(self, x):
        return keras.ops.convert_to_tensor(np.clip(x.numpy(), -1, 1))


inputs = keras.Input((4,))
model = keras.Model(inputs, Clip()(inputs))
""")
    out = tmp_path / "report.json"
    assert cli.main(["check", str(script), "--json", str(out)]) == 1  # the script's uncaught exception
    notice = "the script stopped at line 7 with `AttributeError: 'SymbolicTensor' object has no attribute 'numpy'`"
    assert json.loads(out.read_text())["notices"] == [notice]
    assert f"gradmagic: {notice}" in capsys.readouterr().out


def test_keras_bold_markup_stays_out_of_the_plain_text_report():
    source = ARRAYS + """
class Clip(keras.layers.Layer):
    def call(self, x):
        return keras.ops.convert_to_tensor(np.clip(x.numpy(), -1, 1))

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.clip = Clip()
        self.out = keras.layers.Dense(1, activation="sigmoid")

    def call(self, x):
        return self.out(self.clip(x))

model = Net()
model.compile(optimizer="adam", loss="binary_crossentropy")
model.fit(x, y, epochs=1, verbose=0)
"""
    run = check_source(source, "/tmp/gm_bold_markup.py")
    assert isinstance(run.error, AttributeError)
    assert "\x1b[1m" in run.report.fits[0].exception_message  # Keras's own markup, kept in the JSON
    text = render_report(run.report, color=False)
    assert "\x1b" not in text
    assert ("failed with AttributeError: Exception encountered when calling Clip.call(). "
            "'SymbolicTensor' object has no attribute 'numpy' Arguments") in text


def test_no_train_says_why_a_script_using_the_history_stops(tmp_path, capsys):
    script = tmp_path / "uses_history.py"
    script.write_text(ARRAYS + "history = model.fit(x, y, epochs=1, verbose=0)\nprint(history.history)\n")
    keras.backend.clear_session()
    assert cli.main(["check", str(script), "--no-train"]) == 1  # the script's uncaught AttributeError
    assert ("gradmagic: the script stopped at line 11 with `AttributeError: 'NoneType' object has no attribute "
            "'history'` (with `--no-train`, `fit` returns None)") in capsys.readouterr().out


def test_a_check_inside_a_checked_script_reports_to_both(tmp_path):
    from gradmagic.pipeline.run import run_source

    script = tmp_path / "nested.py"
    source = '''import numpy as np, tensorflow as tf, keras
import gradmagic
keras.utils.set_random_seed(0)
x = np.random.rand(32, 3).astype("float32")
y = np.random.randint(0, 2, size=(32,))
def loss(y_true, y_pred):
    return tf.reduce_mean(tf.cast(tf.argmax(y_pred, axis=-1), tf.float32))
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss=loss)
with gradmagic.check(reraise=False) as inner:
    model.fit(x, y, epochs=1, verbose=0)
print(sorted(inner.codes()))
'''
    script.write_text(source)
    run = run_source(source, str(script))
    assert run.error is None
    assert [f.line for f in run.report.fits] == [11]
    assert {"GM001", "GM003"} <= set(run.report.codes())
    assert run.namespace["inner"].codes() == run.report.codes()

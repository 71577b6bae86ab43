"""The Binder tutorials run top to bottom in a fresh kernel and teach what really happens.

Each slow test executes one notebook of binder/ as "Run All" would, then checks, cell by cell (cells
are found by their id), the codes, lines and evidence of the diagnosis records the tutorial's text
talks about, and that every fixed cell's record is clean. The NaN examples depend on TensorFlow's
CPU kernels (TF_ENABLE_ONEDNN_OPTS): their assertions accept both outcomes the text describes.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

BINDER = Path(__file__).resolve().parent.parent / "binder"
RECORD = "application/vnd.gradmagic.diagnosis+json"
TUTORIALS = [
    "00_quickstart.ipynb",
    "01_three_claims.ipynb",
    "02_no_gradients.ipynb",
    "03_custom_training.ipynb",
    "04_multi_output_gans.ipynb",
    "05_silent_killers.ipynb",
    "06_outside_notebooks.ipynb",
]


class Ran:
    """One executed tutorial: its cells by id, their diagnosis records and their text output."""

    def __init__(self, notebook: nbformat.NotebookNode) -> None:
        self.cells = {cell.id: cell for cell in notebook.cells}

    def record(self, cell_id: str) -> dict:
        found = [out["data"][RECORD] for out in self.cells[cell_id].get("outputs", [])
                 if RECORD in out.get("data", {})]
        assert found, f"cell {cell_id} shows no diagnosis record"
        return found[-1]

    def text(self, cell_id: str) -> str:
        parts = []
        for out in self.cells[cell_id].get("outputs", []):
            if out["output_type"] == "stream":
                parts.append(out["text"])
            elif out["output_type"] == "error":
                parts.append(f"{out['ename']}: {out['evalue']}")
        return "".join(parts)

    def error(self, cell_id: str) -> str | None:
        errors = [out["ename"] for out in self.cells[cell_id].get("outputs", []) if out["output_type"] == "error"]
        return errors[0] if errors else None


def _run(name: str, workdir: Path) -> Ran:
    notebook = nbformat.read(BINDER / name, as_version=4)
    # As "Run All" would: an error stops the notebook unless its cell is tagged `raises-exception`
    # (a deliberate failure), so every cell after it still runs. The kernel works in `workdir`,
    # so files the tutorial writes (06 writes train.py and report.json) stay out of binder/.
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}},
                   allow_errors=False).execute()
    ran = Ran(notebook)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tagged = "raises-exception" in cell.metadata.get("tags", [])
        # a tagged cell really shows its failure (the tag is not stale)
        assert (ran.error(cell.id) is not None) == tagged, f"{name} cell {cell.id}: error {ran.error(cell.id)}"
        if cell.source.startswith("%%gradcheck"):
            ran.record(cell.id)
    return ran


def _codes(record: dict, severities=("error", "warning")) -> set[str]:
    return {f["code"] for f in record["findings"] if f["severity"] in severities}


def _one(record: dict, code: str) -> dict:
    found = [f for f in record["findings"] if f["code"] == code]
    assert len(found) == 1, (code, [f["code"] for f in record["findings"]])
    return found[0]


def _caused_by(record: dict, consequence: str, cause: str) -> None:
    effect = _one(record, consequence)
    assert effect["caused_by"] is not None, f"{consequence} is not shown under a cause"
    assert record["findings"][effect["caused_by"]]["code"] == cause


def _clean(record: dict, fits: int = 1) -> None:
    """A fixed cell: no error or warning, every fit completed."""
    assert _codes(record) == set(), [(f["code"], f["message"]) for f in record["findings"]]
    assert [fit["status"] for fit in record["fits"]] == ["completed"] * fits


def _failed(record: dict, exception: str) -> None:
    assert [(fit["status"], fit["exception_type"]) for fit in record["fits"]] == [("failed", exception)]


def test_exactly_the_seven_tutorials_stored_without_outputs():
    assert sorted(path.name for path in BINDER.glob("*.ipynb")) == TUTORIALS
    for name in TUTORIALS:
        notebook = nbformat.read(BINDER / name, as_version=4)
        nbformat.validate(notebook)
        ids = [cell.id for cell in notebook.cells]
        assert len(set(ids)) == len(ids), name
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (name, cell.id)
                assert not cell.metadata.get("execution"), (name, cell.id)
        sources = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
        assert "keras.utils.set_random_seed(0)" in sources, name
        # synthetic data only: nothing is downloaded
        assert "load_data" not in sources and "get_file" not in sources and "http" not in sources, name


@pytest.mark.slow
def test_quickstart(tmp_path):
    ran = _run("00_quickstart.ipynb", tmp_path)
    assert "!pip" not in "".join(cell.source for cell in ran.cells.values() if cell.cell_type == "code")
    assert "pip install gradmagic" in ran.cells["title"].source
    broken = ran.record("check")
    assert _codes(broken) == {"GM104"}
    mismatch = _one(broken, "GM104")
    assert (mismatch["line"], mismatch["layer"]) == (5, "score")
    assert mismatch["evidence"]["activation"] == "linear" and mismatch["evidence"]["output_min"] < 0
    assert [fit["line"] for fit in broken["fits"]] == [8]
    assert any("sigmoid" in fix["title"] for fix in mismatch["fixes"])
    _clean(ran.record("fixed"))


@pytest.mark.slow
def test_three_claims(tmp_path):
    ran = _run("01_three_claims.ipynb", tmp_path)
    # (a) argmax: the error, its cause at the op's line
    assert "No gradients provided for any variable" in ran.text("a-plain")
    argmax = ran.record("a-check")
    _failed(argmax, "ValueError")
    cut = _one(argmax, "GM003")
    assert cut["line"] == 3 and cut["evidence"]["op"] == "ArgMax"
    _caused_by(argmax, "GM001", "GM003")
    _clean(ran.record("a-fixed"))

    # (b) NaN: no error; GM201 at the line that made it, then whichever of GM301 / GM310 the kernels give
    nan = ran.record("b-check")
    data = _one(nan, "GM201")
    assert data["line"] == 3
    assert {key: data["evidence"][key] for key in ("array", "nan_count", "first_row", "first_column")} == {
        "array": "features", "nan_count": 1, "first_row": 0, "first_column": 0}
    followed = _codes(nan) & {"GM301", "GM310"}
    assert len(followed) == 1, _codes(nan)
    _caused_by(nan, followed.pop(), "GM201")
    assert _codes(nan) <= {"GM201", "GM301", "GM310", "GM304"}
    assert [fit["status"] for fit in nan["fits"]] == ["completed"]
    _clean(ran.record("b-fixed"))

    # (c) frozen: only a warning from Keras, GM009 at the line that froze it; a frozen layer is fine
    assert "does not have any trainable weights" in ran.text("c-plain")
    frozen = ran.record("c-check")
    assert _codes(frozen) == {"GM009"} and _one(frozen, "GM009")["line"] == 7
    _clean(ran.record("c-fixed"))
    # (c') a loss of the targets only: the error, GM011 at the loss
    assert "No gradients provided for any variable" in ran.text("c2-plain")
    ignores = ran.record("c2-check")
    _failed(ignores, "ValueError")
    assert _one(ignores, "GM011")["line"] == 4
    _caused_by(ignores, "GM001", "GM011")
    _clean(ran.record("c2-fixed"))


@pytest.mark.slow
def test_no_gradients(tmp_path):
    ran = _run("02_no_gradients.ipynb", tmp_path)
    assert ran.text("hard-plain").count("ValueError: No gradients provided for any variable") == 3
    for cell_id, op in [("argmax-check", "ArgMax"), ("round-check", "Round"), ("threshold-check", "Greater")]:
        record = ran.record(cell_id)
        _failed(record, "ValueError")
        assert _codes(record) == {"GM003", "GM001"}, cell_id
        cut = _one(record, "GM003")
        assert (cut["line"], cut["evidence"]["op"]) == (3, op), cell_id
        _caused_by(record, "GM001", "GM003")
    _clean(ran.record("hard-fixed"))

    metric = ran.record("metric-check")
    _failed(metric, "ValueError")
    cut = _one(metric, "GM003")
    assert (cut["line"], cut["evidence"]["metric"]) == (4, "BinaryCrossentropy")
    assert [fix["safety"] for fix in cut["fixes"]] == ["safe"]
    _caused_by(metric, "GM001", "GM003")
    _clean(ran.record("metric-fixed"))

    plain = ran.text("numpy-plain")
    assert "AttributeError: 'SymbolicTensor' object has no attribute 'numpy'" in plain
    assert "NotImplementedError: Cannot convert a symbolic tf.Tensor" in plain
    for cell_id, construct, exception in [("dot-numpy-check", ".numpy()", "AttributeError"),
                                          ("np-mean-check", "np.mean", "NotImplementedError")]:
        record = ran.record(cell_id)
        _failed(record, exception)
        assert _codes(record) == {"GM004"}, cell_id
        leak = _one(record, "GM004")
        assert (leak["line"], leak["evidence"]["construct"]) == (3, construct), cell_id
    _clean(ran.record("numpy-fixed"))


@pytest.mark.slow
def test_custom_training(tmp_path):
    ran = _run("03_custom_training.ipynb", tmp_path)
    outside = ran.record("outside-check")
    _failed(outside, "ValueError")
    early = _one(outside, "GM005")
    assert early["line"] == 5 and early["evidence"]["tape_block"] == [6, 7]
    _caused_by(outside, "GM001", "GM005")
    _clean(ran.record("outside-fixed"))

    watch = ran.record("watch-check")
    _failed(watch, "ValueError")
    blind = _one(watch, "GM012")
    assert blind["line"] == 5 and blind["evidence"]["watch_calls"] == 0
    _caused_by(watch, "GM001", "GM012")
    _clean(ran.record("watch-fixed"))

    assert "the hidden layer changed: False" in ran.text("vars-plain")
    partial = ran.record("vars-check")
    assert _codes(partial) == {"GM002"}
    unused = _one(partial, "GM002")
    assert unused["layer"] == "hidden" and unused["evidence"]["layers_without_gradient"] == ["hidden"]
    assert unused["line"] == 13
    _clean(ran.record("vars-fixed"))
    assert "the hidden layer changed: True" in ran.text("vars-fixed")

    assert "A non-persistent GradientTape can only be used to compute one set of gradients" in ran.text("twice-plain")
    twice = ran.record("twice-check")
    _failed(twice, "RuntimeError")
    misuse = _one(twice, "GM012")
    assert misuse["line"] == 10 and misuse["evidence"]["gradient_calls"] == [9, 10]
    _clean(ran.record("twice-fixed"))


@pytest.mark.slow
def test_multi_output_gans(tmp_path):
    ran = _run("04_multi_output_gans.ipynb", tmp_path)
    assert "Gradients do not exist for variables ['flag/kernel', 'flag/bias']" in ran.text("noloss-plain")
    assert "the flag head changed: False" in ran.text("noloss-plain")
    no_loss = ran.record("noloss-check")
    assert _codes(no_loss) == {"GM007", "GM002"}
    head = _one(no_loss, "GM007")
    assert (head["severity"], head["line"], head["evidence"]["head_without_loss"]) == ("warning", 7, "flag")
    _caused_by(no_loss, "GM002", "GM007")

    assert "KeyError" in ran.text("typo-plain")
    typo = ran.record("typo-check")
    _failed(typo, "KeyError")
    key = _one(typo, "GM007")
    assert (key["severity"], key["line"]) == ("error", 7) and "flags" in key["evidence"]["loss_keys"]
    _clean(ran.record("heads-fixed"))
    assert "the flag head changed: True" in ran.text("heads-fixed")

    assert "does not have any trainable weights" in ran.text("gan-plain")
    assert "the discriminator changed: False" in ran.text("gan-plain")
    gan = ran.record("gan-check")
    assert _codes(gan) == {"GM009"}
    frozen = _one(gan, "GM009")
    assert (frozen["line"], frozen["layer"]) == (6, "discriminator")
    assert frozen["evidence"]["method"] == "train_on_batch" and frozen["evidence"]["frozen_inside"] == ["gan"]
    _clean(ran.record("gan-fixed"), fits=2)
    assert "the discriminator changed: True" in ran.text("gan-fixed")


@pytest.mark.slow
def test_silent_killers(tmp_path):
    ran = _run("05_silent_killers.ipynb", tmp_path)
    nan = ran.record("nan-check")
    assert _one(nan, "GM201")["line"] == 3
    swallowed = _one(nan, "GM310")
    assert swallowed["layer"].startswith("conv2d") and swallowed["evidence"]["loss_nonfinite_step"] is None
    _caused_by(nan, "GM310", "GM201")
    assert _codes(nan) <= {"GM201", "GM310", "GM304"}
    _clean(ran.record("nan-fixed"))

    assert "units that output 0 for every sample: 32 of 32" in ran.text("dead-plain")
    dead = ran.record("dead-check")
    assert _codes(dead) == {"GM304", "GM309"}
    units = _one(dead, "GM304")
    assert units["line"] == 4 and units["evidence"]["dead_fraction"] == 1.0
    assert units["evidence"]["initial_dead_fraction"] == 1.0
    _caused_by(dead, "GM309", "GM304")
    _clean(ran.record("dead-fixed"))

    explode = ran.record("explode-check")
    assert _codes(explode) == {"GM302"}
    growth = _one(explode, "GM302")
    assert growth["line"] == 2 and growth["evidence"]["kind"] == "initialisation"
    assert growth["evidence"]["growth_per_layer"] > 2
    _clean(ran.record("explode-fixed"))

    vanish = ran.record("vanish-check")
    assert _codes(vanish) == {"GM303"}
    fading = _one(vanish, "GM303")
    assert fading["line"] == 4 and fading["evidence"]["ratio"] < 1e-3
    _clean(ran.record("vanish-fixed"))

    rate = ran.record("lr-check")
    assert {"GM307", "GM302", "GM301"} <= _codes(rate) <= {"GM307", "GM302", "GM301", "GM304"}
    high = _one(rate, "GM307")
    assert high["line"] == 7 and high["evidence"]["learning_rate"] == 5.0
    assert high["evidence"]["suggested_learning_rate"] == 0.01
    _caused_by(rate, "GM301", "GM307")
    _clean(ran.record("lr-fixed"))


@pytest.mark.slow
def test_outside_notebooks(tmp_path):
    ran = _run("06_outside_notebooks.ipynb", tmp_path)
    assert "exit status: 0" in ran.text("run-plain")
    check = ran.text("run-check")
    assert "GM104" in check and "exit status: 1" in check
    assert "error[GM104] activation-loss-mismatch, line 12" in ran.text("read-report")
    assert "'kind': 'completed'" in ran.text("read-report")
    assert "exit status 0: deploy" in ran.text("run-fixed")
    library = ran.text("library")
    assert "fit returned: None" in library and "codes: ['GM003', 'GM001']" in library
    assert "GM003 non-differentiable-op" in ran.text("explain")
    assert (tmp_path / "train.py").exists() and (tmp_path / "report.json").exists()  # written in the kernel's folder

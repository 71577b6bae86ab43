"""The Binder tutorials run top to bottom in a real kernel and teach what really happens."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

BINDER = Path(__file__).resolve().parent.parent / "binder"
RECORD = "application/vnd.gradmagic.diagnosis+json"


def _run(name: str) -> list[dict | None]:
    notebook = nbformat.read(BINDER / name, as_version=4)
    # As "Run All" would: an error stops the notebook unless its cell is tagged `raises-exception`
    # (a deliberate failure), so every cell after it still runs.
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(BINDER)}},
                   allow_errors=False).execute()
    records = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        found = [out["data"][RECORD] for out in cell.get("outputs", []) if RECORD in out.get("data", {})]
        records.append(found[0] if found else None)
    return records


def _codes(record: dict | None, severities=("error", "warning")) -> set[str]:
    assert record is not None, "the cell shows no diagnosis record"
    return {f["code"] for f in record["findings"] if f["severity"] in severities}


@pytest.mark.slow
def test_no_gradients_tutorial():
    records = _run("01_no_gradients.ipynb")
    broken, fixed = records[2], records[3]
    assert {"GM001", "GM003"} <= _codes(broken)
    argmax = next(f for f in broken["findings"] if f["code"] == "GM003")
    assert argmax["line"] == 3 and argmax["evidence"]["op"] == "ArgMax"
    assert _codes(fixed) == set()
    assert [fit["status"] for fit in fixed["fits"]] == ["completed"]


@pytest.mark.slow
def test_silent_failures_tutorial():
    records = _run("02_silent_failures.ipynb")
    one_unit, nan_input, frozen = records[2], records[3], records[4]
    assert "GM103" in _codes(one_unit)
    assert "GM201" in _codes(nan_input)
    assert "GM106" in _codes(frozen) and "GM009" not in _codes(frozen)


@pytest.mark.slow
def test_training_dynamics_tutorial():
    records = _run("03_training_dynamics.ipynb")
    too_high, sensible = records[2], records[3]
    assert _codes(too_high) & {"GM301", "GM302", "GM307"}
    assert _codes(sensible) == set()

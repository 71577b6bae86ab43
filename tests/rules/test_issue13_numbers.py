"""Issue 13, point 3: the numbers GM301, GM302 and GM307 give for one diverging run are the recording's,
and a loss that ended NaN/Inf is said as NaN/Inf, never as a finite value "at the end"; GM309's levels are
Keras's own epoch losses, and called quarters when they are not epochs."""

from __future__ import annotations

import math

import pytest
from gm3_support import checked, finding
from helpers import check_source, program

from gradmagic.rules._dynamics import num

PROGRAM = "broken/gm301_lr_diverges"  # SGD at 0.5: the loss overflows to Inf at step 10, then stays NaN/Inf


@pytest.fixture(scope="module")
def recorded() -> dict:
    """The run's recorded history as the report keeps it (NaN/Inf as null in the series)."""
    return checked(PROGRAM).report.history["fits"][0]


def test_keras_itself_saw_the_loss_end_in_nan(recorded):
    epochs = [entry["values"]["loss"] for entry in recorded["epoch_logs"]]
    assert epochs[-1] == "NaN" and isinstance(epochs[0], float)


def test_gm307_says_the_recorded_levels_and_the_nan_never_a_finite_end(recorded):
    found = finding(PROGRAM, "GM307")
    losses = recorded["series"]["loss"]["mean"]
    first_bad = recorded["nonfinite"]["loss"]["step"]
    finite = [value for value in losses if value is not None]
    assert all(value is None for value in losses[first_bad - 1:])  # no finite loss after it
    evidence = found.evidence
    assert evidence["loss_initial"] == pytest.approx(losses[0], rel=1e-4)
    assert evidence["loss_highest"] == pytest.approx(max(finite), rel=1e-4)
    assert evidence["loss_nonfinite_step"] == first_bad == 10
    assert math.isnan(evidence["loss_end"])
    assert checked(PROGRAM).report.to_dict()["findings"][checked(PROGRAM).report.findings.index(found)][
        "evidence"]["loss_end"] == "NaN"
    message = found.message
    assert f"({num(losses[0])} at first, {num(max(finite))} at its highest finite value)" in message
    assert f"the loss was Inf at step {first_bad}, then NaN/Inf to the end (NaN at the last step, 16)" in message
    assert "at the end" not in message.replace("to the end", "")
    assert num(evidence["loss_start"]) not in message  # no finite level stands for the end of the run


def test_gm301_and_gm302_name_the_same_step_and_the_same_growth_as_gm307(recorded):
    gm307 = finding(PROGRAM, "GM307").evidence
    gm301 = finding(PROGRAM, "GM301")
    first_bad = recorded["nonfinite"]["loss"]["step"]
    assert gm301.step == first_bad
    assert gm301.message.startswith(f"training turned Inf at step {first_bad}: the loss was Inf at step {first_bad}, "
                                    "then NaN/Inf to the end")
    assert gm301.evidence["loss_growth"] == pytest.approx(gm307["loss_highest"] / gm307["loss_initial"], rel=1e-3)
    assert f"the loss grew from {num(gm307['loss_initial'])} to {num(gm307['loss_highest'])}" in " ".join(gm301.notes)

    gm302 = finding(PROGRAM, "GM302")
    norms = recorded["series"]["grad_norm"]["max"]
    gradient_bad = recorded["nonfinite"]["gradient"]["step"]
    assert gm302.evidence["peak_step"] < gradient_bad
    assert gm302.evidence["peak_norm"] == pytest.approx(max(v for v in norms if v is not None), rel=1e-4)
    assert f"to {num(gm302.evidence['peak_norm'])} at step {gm302.evidence['peak_step']}" in gm302.message
    assert f"then it overflowed to NaN/Inf at step {gradient_bad}" in gm302.notes


def test_gm309_gives_kerass_own_first_and_last_epoch_losses():
    found = finding("broken/gm309_tiny_inputs", "GM309")
    epochs = [entry["values"]["loss"] for entry in checked("broken/gm309_tiny_inputs").report.history["fits"][0]["epoch_logs"]]
    assert found.evidence["loss_start"] == pytest.approx(epochs[0], rel=1e-5)
    assert found.evidence["loss_end"] == pytest.approx(epochs[-1], rel=1e-5)
    assert f"{num(epochs[0])} in the first epoch, {num(epochs[-1])} in the last" in found.message


def test_gm309_on_one_epoch_says_quarters_of_the_steps_not_epochs():
    source = program("broken/gm309_tiny_inputs").read_text()
    run = check_source(source.replace("epochs=6, batch_size=16", "epochs=1, batch_size=2"), "/tmp/gm309_one_epoch.py")
    found = run.report.by_code("GM309")
    assert len(found) == 1 and found[0].evidence["steps"] == 32
    assert "in the first quarter of the steps" in found[0].message and "epoch" not in found[0].message

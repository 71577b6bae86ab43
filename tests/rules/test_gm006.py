"""GM006 missing-loss-or-targets: no loss in compile, fit without targets, a list or dict instead of (x, y)."""

from helpers import assert_fix_verified, check_program, check_source, only, program


def test_no_loss_in_compile():
    run = check_program("broken/gm006_no_loss_in_compile")
    report = run.report
    found = only(report, "GM006")
    assert (found.severity, found.line, found.layer) == ("error", 14, None)
    assert found.evidence["loss"] is None
    assert found.evidence["train_step"] == "built-in"
    assert (found.evidence["output_activation"], found.evidence["targets"]) == ("softmax", "integer")
    assert report.fits[0].status == "failed"
    assert report.fits[0].exception_message.startswith("No loss to compute.")
    fix = found.fixes[0]
    assert fix.safety == "review"
    assert ('model.compile(optimizer="adam", metrics=["accuracy"], loss="sparse_categorical_crossentropy")\n'
            in fix.patched_source)
    assert_fix_verified(run, "GM006")


def test_custom_train_step_calls_compute_loss_without_a_compiled_loss():
    run = check_program("broken/gm006_train_step_compute_loss")
    found = only(run.report, "GM006")
    assert (found.severity, found.line, found.layer) == ("error", 30, None)
    assert found.evidence["train_step"] == "custom"
    assert found.evidence["suggested_loss"] == '"mse"'
    assert 'model.compile(\n    optimizer="adam",\n    loss="mse",\n)\n' in found.fixes[0].patched_source
    assert_fix_verified(run, "GM006")


def test_generator_yields_a_list():
    run = check_program("broken/gm006_generator_yields_list")
    report = run.report
    found = only(report, "GM006")
    assert (found.severity, found.line, found.layer) == ("error", 14, None)
    assert found.evidence["source"] == "generator"
    assert found.evidence["element"] == "list of 2"
    assert "must return a tuple" in report.fits[0].exception_message
    fix = found.fixes[0]
    assert fix.safety == "safe"
    assert ("            # features and targets of one batch\n"
            "            yield x[start:start + batch_size], y[start:start + batch_size]\n") in fix.patched_source
    assert_fix_verified(run, "GM006")


def test_pydataset_returns_a_dict_with_the_labels_inside():
    run = check_program("broken/gm006_pydataset_dict")
    found = only(run.report, "GM006")
    assert (found.severity, found.line, found.layer) == ("error", 16, None)
    assert found.evidence["source"] == "PyDataset"
    assert found.evidence["element"] == "dict"
    assert found.evidence["keys"] == ["features", "target"]
    fix = found.fixes[0]
    assert fix.safety == "review"
    assert "        return x[rows], y[rows]\n" in fix.patched_source
    assert_fix_verified(run, "GM006")


def test_pydataset_returning_a_list_trains_and_is_not_reported():
    # Keras 3 turns a list from PyDataset.__getitem__ into a tuple: not a fault
    path = program("broken/gm006_pydataset_dict")
    source = path.read_text().replace('return {"features": x[rows], "target": y[rows]}', "return [x[rows], y[rows]]")
    run = check_source(source, str(path))
    assert "GM006" not in run.report.codes()
    assert run.report.fits[0].status == "completed"


def test_fit_without_targets():
    run = check_program("broken/gm006_fit_without_targets")
    report = run.report
    found = only(report, "GM006")
    assert (found.severity, found.line, found.layer) == ("error", 15, None)
    assert found.evidence == {"source": "arrays", "element": None, "has_targets": False, "loss": "mse",
                              "fits": [0]}
    assert report.fits[0].exception_message == "None values not supported."
    assert found.fixes == []  # only the user knows the targets
    assert "model.fit(x, y" in found.help


def test_generator_yields_inputs_only_gets_the_labels_of_the_same_rows():
    run = check_program("broken/gm006_generator_yields_inputs_only")
    found = only(run.report, "GM006")
    assert (found.severity, found.line, found.layer) == ("error", 12, None)
    assert found.evidence["source"] == "generator"
    assert found.evidence["has_targets"] is False
    fix = found.fixes[0]
    assert fix.safety == "review"
    assert "        yield features[rows], targets[rows]\n" in fix.patched_source
    assert_fix_verified(run, "GM006")

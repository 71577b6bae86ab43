"""GM203 constant-feature: zero-variance columns turned into NaN by a standardisation."""

from helpers import check_source, only
from preflight_support import assert_every_fix_verified, check_broken, finding


def test_standardising_a_constant_column():
    run = check_broken("gm203_standardise_constant_column")
    found = finding(run, "GM203", "error", line=8)
    assert found.message == ("column 2 of `x` is NaN in all 64 rows after the standardisation on line 8: "
                             "the standard deviation it divides by is 0")
    assert found.evidence["columns"] == [2] and found.evidence["nan_count"] == 64
    nan = only(run.report, "GM201")
    assert nan.line == 8 and nan.evidence["columns_all_nonfinite"] == [2]
    assert nan.fixes[0].id == "guard-zero-std"  # dropping rows would drop all of them
    guarded = "x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-8)\n"
    assert guarded in found.fixes[0].patched_source
    for patched in assert_every_fix_verified(run, "GM203"):
        assert "GM201" not in patched.report.codes()


def test_in_place_standardisation_with_two_constant_columns():
    run = check_broken("gm203_inplace_standardise")
    found = finding(run, "GM203", "error", line=9)  # `features /= np.std(features, axis=0)`
    assert found.evidence["columns"] == [1, 4] and found.evidence["column_count"] == 2
    assert "features /= np.maximum(np.std(features, axis=0), 1e-8)\n" in found.fixes[0].patched_source
    assert_every_fix_verified(run, "GM203")


def test_a_constant_column_in_raw_data_is_a_note():
    source = """import numpy as np
import keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 3).astype("float32")
x[:, 1] = 7.0
y = x[:, :1] * 2
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, y, epochs=1, verbose=0)
"""
    run = check_source(source, "/tmp/gm203_raw_constant.py")
    found = only(run.report, "GM203")
    assert found.severity == "info" and found.line == 5
    assert found.evidence["columns"] == [1] and found.evidence["values"] == [7.0]

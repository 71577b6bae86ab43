"""Edits of the lines that make the data."""

from gradmagic.fixes.data import (
    feature_axes,
    guard_divisors,
    insert_data_lines,
    shared_permutation,
    standardise_after,
    strip_scaling_at,
    unscale_at,
    unscaled_value_at,
)

SOURCE = """\
import numpy as onp

x = onp.load("x.npy")  # features
y = (onp.load("y.npy")
     .astype("float32"))
model.fit(x, y)
"""


def test_data_lines_go_after_the_whole_statement_with_numpy_s_alias():
    assert insert_data_lines(SOURCE, 4, "y = {np}.log1p(y)") == \
        SOURCE.replace('"float32"))\n', '"float32"))\ny = onp.log1p(y)\n')
    plain = "x = load()\nmodel.fit(x, y)\n"
    assert insert_data_lines(plain, 1, "x = {np}.nan_to_num(x)") == \
        "import numpy as np\nx = load()\nx = np.nan_to_num(x)\nmodel.fit(x, y)\n"
    assert insert_data_lines(plain, 1, "x = keras.utils.to_categorical(x, 3)") == \
        "import keras\nx = load()\nx = keras.utils.to_categorical(x, 3)\nmodel.fit(x, y)\n"


def test_standardise_per_feature():
    assert feature_axes(2) == "0"
    assert feature_axes(4) == "(0, 1, 2)"
    assert standardise_after(SOURCE, 3, "x", 2) == SOURCE.replace(
        "# features\n", "# features\nx = (x - x.mean(axis=0)) / onp.maximum(x.std(axis=0), 1e-8)\n")


def test_guard_divisors_wraps_each_standard_deviation_once():
    source = "x = (x - x.mean(0)) / x.std(0)  # standardise\nz = (z - m) / sd\n"
    std_call, sd_name = (1, 22, 1, 30), (2, 14, 2, 16)  # ast positions of ``x.std(0)`` and ``sd``
    assert guard_divisors(source, [std_call]) == \
        "import numpy as np\nx = (x - x.mean(0)) / np.maximum(x.std(0), 1e-8)  # standardise\nz = (z - m) / sd\n"
    assert guard_divisors(source, [sd_name]) == \
        "import numpy as np\nx = (x - x.mean(0)) / x.std(0)  # standardise\nz = (z - m) / np.maximum(sd, 1e-8)\n"
    guarded = "import numpy as np\nz = (z - m) / np.maximum(sd, 1e-8)\n"
    assert guard_divisors(guarded, [(2, 25, 2, 27)]) is None  # already inside a maximum


def test_unscale_at_removes_or_strips_the_scaling():
    source = "y = labels / 255\ny /= 10\ny = y * 0.1\n"
    assert unscale_at(source, 1) == "y = labels\ny /= 10\ny = y * 0.1\n"
    assert unscale_at(source, 2) == "y = labels / 255\ny = y * 0.1\n"
    assert unscale_at(source, 3) == "y = labels / 255\ny /= 10\n"
    assert unscale_at("y = labels + 1\n", 1) is None


def test_strip_scaling_keeps_the_integer_ids():
    source = "ids = (tokens - tokens.mean()) / tokens.std()  # scaled\n"
    assert unscaled_value_at(source, 1) == "tokens"
    assert strip_scaling_at(source, 1) == "ids = tokens  # scaled\n"
    assert strip_scaling_at("ids = tokens\n", 1) is None


def test_one_permutation_for_several_arrays():
    source = "rng = np.random.default_rng(0)\nX, y = rng.permutation(X), rng.permutation(y)\nmodel.fit(X, y)\n"
    assert shared_permutation(source, [(2, "X", "rng"), (2, "y", "rng")]) == (
        "rng = np.random.default_rng(0)\nperm = rng.permutation(len(X))  # one order for every array\n"
        "X, y = X[perm], y[perm]\nmodel.fit(X, y)\n")
    apart = "X = rng.permutation(X)\ny = rng.permutation(y)\n"
    assert shared_permutation(apart, [(1, "X", "rng"), (2, "y", "rng")]) == \
        "perm = rng.permutation(len(X))  # one order for every array\nX = X[perm]\ny = y[perm]\n"
    assert shared_permutation("def (", [(1, "X", "rng")]) is None

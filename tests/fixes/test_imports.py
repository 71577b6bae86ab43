"""Import lines a fix needs."""

from gradmagic.fixes.imports import ensure_import, numpy_alias, with_keras_import


def test_ensure_import_adds_the_module_once():
    assert ensure_import("x = 1\n") == "import keras\nx = 1\n"
    assert ensure_import("import keras\nx = 1\n") == "import keras\nx = 1\n"
    assert ensure_import("from keras import layers\n") == "from keras import layers\n"
    assert ensure_import("import numpy, keras\n") == "import numpy, keras\n"
    assert ensure_import("import keras_hub\n") == "import keras\nimport keras_hub\n"


def test_keras_is_imported_only_for_code_that_uses_it():
    assert with_keras_import("x = 1\n", "keras.ops.mean(x)") == "import keras\nx = 1\n"
    assert with_keras_import("x = 1\n", '"mse"') == "x = 1\n"
    assert with_keras_import(None, "keras.ops.mean(x)") is None


def test_numpy_alias_reads_or_adds_the_import():
    assert numpy_alias("import numpy as onp\nx = 1\n") == ("onp", "import numpy as onp\nx = 1\n")
    assert numpy_alias("import numpy\nx = 1\n") == ("numpy", "import numpy\nx = 1\n")
    assert numpy_alias("x = 1\n") == ("np", "import numpy as np\nx = 1\n")

"""Edits of ``compile(metrics=...)``."""

from gradmagic.fixes.cst import syntax_tree
from gradmagic.fixes.metrics import metrics_line, replace_accuracy_metrics

SOURCE = """\
model.compile(loss="mse",
              metrics=["accuracy", "mse", keras.metrics.BinaryAccuracy()])  # watch these
model.fit(x, y)
"""


def test_accuracy_strings_become_mae():
    assert replace_accuracy_metrics(SOURCE, 3) == SOURCE.replace('"accuracy"', '"mae"')
    both = 'model.compile(loss="mse", metrics=["acc", "binary_accuracy"])\nmodel.fit(x, y)\n'
    assert replace_accuracy_metrics(both, 2) == 'model.compile(loss="mse", metrics=["mae", "mae"])\nmodel.fit(x, y)\n'


def test_without_accuracy_the_source_stays():
    plain = 'model.compile(loss="mse", metrics=["mae"])\nmodel.fit(x, y)\n'
    assert replace_accuracy_metrics(plain, 2) == plain
    assert replace_accuracy_metrics(None, 2) is None


def test_metrics_line():
    assert metrics_line(syntax_tree(SOURCE), 3) == 2
    assert metrics_line(syntax_tree('model.compile(loss="mse")\n'), None) == 1
    assert metrics_line(syntax_tree("x = 1\n"), 1) is None

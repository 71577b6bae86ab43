"""The libcst ground of the edits: the one parse, the one statement finder, span and call rewrites.

The edit tests under ``tests/fixes`` are plain source in, exact source out; none imports TensorFlow.
"""

import subprocess
import sys

import libcst as cst

from gradmagic.fixes import cst as cst_edit

SOURCE = """\
import keras

x = load()  # raw
y = (x
     - x.mean()) / x.std()
a = 1; b = 2
model.compile(optimizer="adam", loss="mse")  # first
other.compile(loss="mae")
model.fit(x, y)
"""


def test_a_source_that_does_not_parse_gives_none():
    assert cst_edit.parse("def (") is None
    assert cst_edit.syntax_tree("def (") is None
    assert cst_edit.statement_span("def (", 1) is None
    assert cst_edit.set_keyword_at("def (", 1, ("compile",), "loss", '"mse"') is None


def test_the_statement_finder_spans_continued_lines_and_picks_the_first_of_a_line():
    assert cst_edit.statement_span(SOURCE, 4) == (4, 5)
    assert cst_edit.statement_span(SOURCE, 5) == (4, 5)
    tree = cst_edit.syntax_tree(SOURCE)
    assert [s.lineno for s in cst_edit.simple_statements_at(tree, 6)] == [6, 6]
    assert cst_edit.statement_at(tree, 6).targets[0].id == "a"
    assert cst_edit.statement_at(tree, 2) is None


def test_insert_after_line_goes_after_the_whole_statement():
    patched = cst_edit.insert_after_line(SOURCE, 4, "y = y.clip(0, 1)")
    assert patched == SOURCE.replace("x.std()\n", "x.std()\ny = y.clip(0, 1)\n")


def test_insert_around_statement_keeps_the_indentation():
    source = "def step():\n    loss = f(x)  # the loss\n    return loss\n"
    patched = cst_edit.insert_around_statement(source, 2, before="a = 1", after="b = 2")
    assert patched == "def step():\n    a = 1\n    loss = f(x)  # the loss\n    b = 2\n    return loss\n"


def test_compile_call_is_the_one_of_the_fitted_model():
    tree = cst_edit.syntax_tree(SOURCE)
    assert cst_edit.compile_call(tree, 9).lineno == 7
    assert cst_edit.compile_call(tree, None).lineno == 8  # no fit line: the last compile
    assert cst_edit.compile_call(cst_edit.syntax_tree("x = 1\n"), 1) is None


def test_set_keyword_replaces_or_appends_and_keeps_the_comment():
    patched = cst_edit.set_keyword_at(SOURCE, 7, ("compile",), "loss", '"mae"')
    assert patched == SOURCE.replace('loss="mse")  # first', 'loss="mae")  # first')
    patched = cst_edit.set_keyword_at(SOURCE, 7, ("compile",), "jit_compile", "False")
    assert patched == SOURCE.replace('loss="mse")  # first', 'loss="mse", jit_compile=False)  # first')
    assert cst_edit.set_keyword_at(SOURCE, 3, ("compile",), "loss", '"mae"') is None


def test_set_keyword_on_one_argument_per_line_adds_a_line():
    source = "m.compile(\n    optimizer=\"adam\",\n    loss=\"mse\",\n)\n"
    patched = cst_edit.set_keyword_at(source, 1, ("compile",), "jit_compile", "False")
    assert patched == "m.compile(\n    optimizer=\"adam\",\n    loss=\"mse\",\n    jit_compile=False,\n)\n"


def test_replace_spans_rewrites_nested_expressions_in_one_pass():
    source = "z = np.std(x / x.std())\n"
    tree = cst_edit.syntax_tree(source)
    calls = [node for node in __import__("ast").walk(tree) if type(node).__name__ == "Call"]
    wrap = lambda node: cst.parse_expression(f"m({cst_edit.code_of(node)})")  # noqa: E731
    patched = cst_edit.replace_spans(source, [cst_edit.ast_span(c) for c in calls], wrap)
    assert patched == "z = m(np.std(x / m(x.std())))\n"
    assert cst_edit.replace_spans(source, [(9, 0, 9, 3)], wrap) is None


def test_edit_dict_finds_the_literal_by_its_keys():
    source = 'd = {"a": 1}\nlosses = {"out": "mse", "aux": None}  # two heads\n'
    patched = cst_edit.edit_dict(source, ["aux", "out"], lambda node: cst.Name("LOSSES"))
    assert patched == 'd = {"a": 1}\nlosses = LOSSES  # two heads\n'
    assert cst_edit.edit_dict(source, ["out"], lambda node: cst.Name("X")) is None


def test_unwrap_and_remove_decorator():
    assert cst_edit.unwrap_call_at("y = tf.stop_gradient(a + b)\n", 1, ("stop_gradient",)) == "y = (a + b)\n"
    source = "class M:\n    @tf.function  # traced\n    def call(self, x):\n        return x\n"
    assert cst_edit.remove_decorator(source, "call", ("tf.function",)) == \
        "class M:\n    def call(self, x):\n        return x\n"
    assert cst_edit.remove_decorator(source, "build", ("tf.function",)) is None


def test_the_edits_run_without_tensorflow():
    code = ("import sys, gradmagic.fixes.cst, gradmagic.fixes.data, gradmagic.fixes.datasets, gradmagic.fixes.guards, "
            "gradmagic.fixes.imports, gradmagic.fixes.layers, gradmagic.fixes.losses, gradmagic.fixes.metrics, "
            "gradmagic.fixes.numpy_ops, gradmagic.fixes.optimizers, gradmagic.fixes.output_keys, "
            "gradmagic.fixes.tape, gradmagic.fixes.trainable, gradmagic.fixes.weights\n"
            "from gradmagic.fixes.numpy_ops import keep_in_tensorflow_on_line\n"
            "keep_in_tensorflow_on_line('import numpy as np\\ny = np.mean(x, axis=0)\\n', 2)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')\n"
            "             or m.startswith(('gradmagic.rules', 'gradmagic.evidence', 'gradmagic.pipeline',\n"
            "                              'gradmagic.capture'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"

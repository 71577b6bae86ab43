"""Keeping an op's argument inside its domain: ``log(p)`` -> ``log(maximum(p, 1e-7))``."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import PositionProvider

from gradmagic.fixes import cst as cst_edit

#: TensorFlow op type -> (the function names that make it, the floor its argument is kept above)
GUARDS = {"Log": (("log",), "1e-7"), "Log1p": (("log1p",), "-1.0 + 1e-7"), "Sqrt": (("sqrt",), "1e-12"),
          "Rsqrt": (("rsqrt",), "1e-12")}
MAXIMUM = {"tf": "tf.maximum", "keras": "keras.ops.maximum", "ops": "ops.maximum", "K": "K.maximum"}


class _GuardCalls(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, line: int, names: tuple[str, ...], floor: str) -> None:
        self.line, self.names, self.floor = line, names, floor
        self.count = 0

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
        position = self.get_metadata(PositionProvider, original)
        dotted = cst_edit.dotted_name(updated.func)
        if position.start.line != self.line or dotted.rsplit(".", 1)[-1] not in self.names or not updated.args:
            return updated
        maximum = MAXIMUM.get(dotted.split(".", 1)[0])
        if maximum is None:
            return updated
        argument = cst_edit.code_of(updated.args[0].value)
        if argument.startswith(maximum + "("):
            return updated
        guarded = cst.parse_expression(f"{maximum}({argument}, {self.floor})")
        self.count += 1
        return updated.with_changes(args=[updated.args[0].with_changes(value=guarded), *updated.args[1:]])


def guard_op(source: str, line: int, op: str | None) -> str | None:
    """``tf.math.log(p)`` -> ``tf.math.log(tf.maximum(p, 1e-7))`` for every call making ``op`` (a
    TensorFlow op type in ``GUARDS``) on ``line``."""
    if op not in GUARDS:
        return None
    names, floor = GUARDS[op]
    transformer = _GuardCalls(line, names, floor)
    return cst_edit.transform(source, transformer, changed=lambda: bool(transformer.count))

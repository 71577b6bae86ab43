"""What the gradient probe found (filled in by ``evidence.probe`` and ``evidence.graph_walk``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gradmagic.evidence.facts.sealed import Sealed


@dataclass
class GradientCut(Sealed):
    op_type: str
    op_name: str
    line: int | None
    layer_scope: str
    reason: str  # "no-gradient" | "integer-output" | "leaves-tensorflow"
    input_dtype: str
    output_dtype: str


@dataclass
class VariableGradient(Sealed):
    path: str
    state: str  # "none" | "zero" | "ok" | "traced" (connected, not run)
    norm: float | None = None
    max_abs: float | None = None
    mean_abs: float | None = None


@dataclass
class OutsideTape(Sealed):
    """An op on the path to a taped loss that the tape did not record."""

    op_type: str
    line: int | None
    variables: list[str]
    # every line of the step outside the tape on that path (statements of the function that
    # opens the tape), and whether the tape still gave a gradient to every source
    lines: list[int] = field(default_factory=list)
    gradients_missing: bool = True
    target_line: int | None = None  # where the target of ``tape.gradient`` was computed


@dataclass
class LeftTensorFlow(Sealed):
    """A ``tf.numpy_function``/``tf.py_function`` call made while the step was traced."""

    api: str  # "numpy_function" | "py_function"
    line: int | None
    func: str  # the wrapped Python function's name


@dataclass
class Broadcast(Sealed):
    """An elementwise op in the step that pairs ``(N,)`` with ``(N, 1)`` into an ``(N, N)`` table."""

    op_type: str
    line: int | None
    left_shape: list[int | None]
    right_shape: list[int | None]


@dataclass
class ProbeError(Sealed):
    type: str
    message: str
    line: int | None


@dataclass
class ProbeResult(Sealed):
    mode: str  # "compile" | "train_step"
    gradients: list[VariableGradient] = field(default_factory=list)
    cuts: list[GradientCut] = field(default_factory=list)
    outside_tape: list[OutsideTape] = field(default_factory=list)
    loss: float | None = None
    error: ProbeError | None = None
    tape_calls: int = 0
    # paths of variables without gradient that the traced step never reads, or whose reads
    # reach neither the model's outputs nor the loss
    unreachable: list[str] = field(default_factory=list)
    left_tensorflow: list[LeftTensorFlow] = field(default_factory=list)
    # ops on the path from variables whose gradient was exactly zero to the loss that zero it (Sign)
    zeroing: list[GradientCut] = field(default_factory=list)
    # elementwise ops of a custom train_step that broadcast a column against a flat vector
    broadcasts: list[Broadcast] = field(default_factory=list)
    # whether the loss value depends on any model output along a value path (compiled loss, traced;
    # None: not known). False: the loss ignores the prediction (GM011); per output in `outputs_read`.
    loss_reads_prediction: bool | None = None
    outputs_read: list[bool] = field(default_factory=list)

    def paths_in_state(self, state: str) -> list[str]:
        return [g.path for g in self.gradients if g.state == state]

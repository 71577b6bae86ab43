"""What the diagnosis panel costs, against ``model.summary()`` in the same run.

For a 3-layer MLP and for ``keras.applications.ResNet152(weights=None)``: check one ``fit``
without training (the probe runs), then time, median of several repeats,

* ``model.summary()`` (printed into a buffer),
* the flow graph built from the evidence (``build_flow_graph``),
* the panel (``DiagnosisPanel``, its state serialised as the comm would) plus the record
  (``record_bundle``, serialised as ``display`` would),

and print the ratio (goal: at most 2x) and the record's size in bytes (goal: under 300 KB
for ResNet152).

Run: ``TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/benchmarks/panel_cost.py [--repeats N] [--only mlp]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from gradmagic import check  # noqa: E402
from gradmagic.report.flow_graph import build_flow_graph  # noqa: E402
from gradmagic.views.record import record_bundle  # noqa: E402
from gradmagic.views.widget import CellText, DiagnosisPanel  # noqa: E402

CELLS = {
    "mlp": """
import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(64, 20).astype("float32"); y = np.random.randint(0, 3, size=(64,))
model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=16, verbose=0)
""",
    "resnet152": """
import numpy as np, keras
keras.utils.set_random_seed(0)
x = np.random.rand(8, 32, 32, 3).astype("float32"); y = np.random.randint(0, 10, size=(8,))
model = keras.applications.ResNet152(weights=None, input_shape=(32, 32, 3), classes=10)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x, y, epochs=1, batch_size=8, verbose=0)
""",
}


def _median_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(name: str, repeats: int) -> dict:
    keras.backend.clear_session()
    source = CELLS[name]
    filename = f"/tmp/gradmagic_bench_{name}.py"
    namespace: dict = {}
    session = check(source, filename, train=False)
    start = time.perf_counter()
    with session as report:
        exec(compile(source, filename, "exec"), namespace)
    check_s = time.perf_counter() - start
    evidence = session.evidence[-1]
    model = namespace["model"]
    cell = CellText(cell_id="bench", text=source)

    def summary() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            model.summary()

    def graph() -> None:
        build_flow_graph(evidence, report.findings)

    def panel_and_record() -> int:
        panel = DiagnosisPanel(report, cell)
        json.dumps(panel.get_state())
        return len(json.dumps(record_bundle(report)).encode())

    summary()  # first calls warm caches on both sides
    panel_and_record()
    summary_s = _median_time(summary, repeats)
    graph_s = _median_time(graph, repeats)
    views_s = _median_time(panel_and_record, repeats)
    return {
        "model": name, "layers": len(evidence.model_info.layers), "check_s": check_s, "summary_s": summary_s,
        "graph_s": graph_s, "panel_record_s": views_s, "ratio": (graph_s + views_s) / summary_s,
        "record_bytes": panel_and_record(),
        "panel_state_bytes": len(json.dumps(DiagnosisPanel(report, cell).get_state()).encode()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", choices=sorted(CELLS))
    args = parser.parse_args()
    names = [args.only] if args.only else ["mlp", "resnet152"]
    print(f"{'model':<10} {'layers':>6} {'summary':>9} {'graph':>8} {'panel+rec':>10} {'ratio':>6} "
          f"{'record':>10} {'panel state':>12}")
    for name in names:
        row = measure(name, args.repeats)
        print(f"{row['model']:<10} {row['layers']:>6} {row['summary_s'] * 1000:>7.1f}ms {row['graph_s'] * 1000:>6.1f}ms "
              f"{row['panel_record_s'] * 1000:>8.1f}ms {row['ratio']:>5.2f}x {row['record_bytes'] / 1024:>8.1f}KB "
              f"{row['panel_state_bytes'] / 1024:>10.1f}KB")
    print("goal: ratio (graph + panel + record) / summary <= 2x; record < 300 KB for resnet152")


if __name__ == "__main__":
    main()

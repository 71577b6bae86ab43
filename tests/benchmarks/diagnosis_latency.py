"""Wall time of ``python -m gradmagic check FILE`` over ``python FILE``, side by side in one run.

Goals (issue 2): at most 1.5x for the failing test programs, at most 1.3x for the healthy ones.
Runs are interleaved (plain, checked, plain, checked, ...) and the median of each is compared.

    python tests/benchmarks/diagnosis_latency.py [--repeats 3] [--only NAME]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
GOALS = {"broken": 1.5, "healthy": 1.3}


def _time(command: list[str]) -> float:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, env=env, cwd=PROGRAMS.parent.parent, timeout=600)
    return time.perf_counter() - started


def measure(path: Path, repeats: int) -> tuple[float, float]:
    plain, checked = [], []
    for _ in range(repeats):
        plain.append(_time([sys.executable, str(path)]))
        checked.append(_time([sys.executable, "-m", "gradmagic", "check", str(path)]))
    return statistics.median(plain), statistics.median(checked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", help="substring of the program names to run")
    args = parser.parse_args()
    worst = {}
    print(f"{'program':<48} {'python':>8} {'check':>8} {'ratio':>7}  goal")
    for kind in ("broken", "healthy"):
        ratios = []
        for path in sorted((PROGRAMS / kind).glob("*.py")):
            if args.only and args.only not in path.name:
                continue
            plain, checked = measure(path, args.repeats)
            ratio = checked / plain
            ratios.append(ratio)
            flag = "ok" if ratio <= GOALS[kind] else "OVER"
            print(f"{kind + '/' + path.stem:<48} {plain:>7.2f}s {checked:>7.2f}s {ratio:>6.2f}x  "
                  f"<= {GOALS[kind]}x {flag}", flush=True)
        if ratios:
            worst[kind] = max(ratios)
            print(f"-- {kind}: median ratio {statistics.median(ratios):.2f}x, worst {max(ratios):.2f}x "
                  f"(goal <= {GOALS[kind]}x)\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

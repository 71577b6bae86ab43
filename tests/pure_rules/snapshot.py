"""Snapshots of what the user reads, one file per rule under ``snapshots/`` (as ruff keeps them).

A changed wording fails the test with a diff; review it, then write the new text with
``GRADMAGIC_UPDATE_SNAPSHOTS=1 pytest tests/pure_rules`` and commit the snapshot with the change.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

FOLDER = Path(__file__).parent / "snapshots"


def assert_snapshot(name: str, text: str) -> None:
    path = FOLDER / f"{name}.txt"
    text = text.rstrip("\n") + "\n"
    if os.environ.get("GRADMAGIC_UPDATE_SNAPSHOTS") == "1":
        FOLDER.mkdir(exist_ok=True)
        path.write_text(text)
        return
    assert path.exists(), f"no snapshot {path.name}: run with GRADMAGIC_UPDATE_SNAPSHOTS=1 and review it"
    expected = path.read_text()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                            f"{path.name} (snapshot)", f"{path.name} (now)"))
        raise AssertionError(f"the text report changed:\n{diff}")

"""Which code tells a cause when two could: the registry's SUPERSEDED_BY table, as data."""

from gradmagic.report.model import Finding
from gradmagic.rules.registry import drop_superseded


def finding(code: str, output: str | None = None, line: int | None = 10) -> Finding:
    return Finding(code=code, name=code.lower(), severity="error", message=code, line=line,
                   evidence={"output": output} if output else {})


def test_shapes_that_cannot_be_compared_silence_the_other_head_checks_of_that_output_only():
    found = [finding("GM101", "main"), finding("GM103", "main"), finding("GM104", "main"),
             finding("GM106", "main"), finding("GM107", "main"), finding("GM107", "aux")]
    kept = drop_superseded(found)
    assert [(f.code, f.evidence["output"]) for f in kept] == [("GM101", "main"), ("GM107", "aux")]


def test_weights_corrupted_quietly_is_told_by_gm310_not_gm301():
    assert [f.code for f in drop_superseded([finding("GM301"), finding("GM310", line=None)])] == ["GM310"]
    assert [f.code for f in drop_superseded([finding("GM301")])] == ["GM301"]

"""Write the saved notebooks the browser tests open (``records.ipynb``, ``other.ipynb``).

The records are real: each ``%%gradcheck`` cell body is checked by the engine
(``run_source``) and its outputs are the MIME bundle the magic displays
(``record_bundle``). One record is made by hand to carry hostile strings (layer name,
message, code) so that the tests can prove nothing from a record runs as HTML.

Run again after a change to the report or the record:
``TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/ui/notebooks/make_fixtures.py``
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from gradmagic.pipeline.run import run_source
from gradmagic.report.model import Finding, Fix, FitRecord, Report
from gradmagic.views.record import record_bundle

HERE = Path(__file__).parent
PROGRAMS = HERE.parents[1] / "programs"
HEADER = "%%gradcheck\n"
XSS = '<img src=x onerror="window.__gm_xss=1">'


def diagnosed_cell(cell_id: str, body: str, count: int) -> nbformat.NotebookNode:
    """A ``%%gradcheck`` cell with the record the magic displays for ``body``."""
    # The magic checks the body with one blank line in place of the header, so the
    # report's lines are cell lines.
    report = run_source("\n" + body, f"In[{count}]").report
    report.cell_id = cell_id
    return _cell(cell_id, HEADER + body, count, report)


def hostile_cell(cell_id: str, count: int) -> nbformat.NotebookNode:
    body = f"model.get_layer('{XSS}').trainable = False\nmodel.fit(x, y)\n"
    patched = body.replace("False", "True")
    report = Report(
        source="\n" + body,
        filename=f"In[{count}]",
        fits=[FitRecord(index=0, line=3, status="completed", model_name=f"model {XSS}")],
        findings=[Finding(
            code="GM009", name="frozen-layer", severity="warning",
            message=f"layer `{XSS}` is frozen <script>window.__gm_xss=1</script>",
            line=2, layer=XSS, evidence={"layer": XSS},
            fixes=[Fix(id="unfreeze", title=f"unfreeze `{XSS}`", safety="review",
                       patched_source="\n" + patched, diff=f"-{XSS}\n+{XSS}\n", reason=XSS)],
            help=f"set `{XSS}.trainable = True`", notes=[XSS])],
        notices=[XSS],
        cell_id=cell_id,
        duration_s=0.5,
    )
    return _cell(cell_id, HEADER + body, count, report)


def _cell(cell_id: str, source: str, count: int, report: Report) -> nbformat.NotebookNode:
    output = new_output("display_data", data=record_bundle(report), metadata={})
    cell = new_code_cell(source, id=cell_id, execution_count=count, outputs=[output])
    return cell


def main() -> None:
    argmax = (PROGRAMS / "broken" / "gm003_argmax_loss.py").read_text()
    healthy = (PROGRAMS / "healthy" / "mlp.py").read_text()
    records = new_notebook(cells=[
        new_markdown_cell("# gradmagic browser-test fixture\nSaved diagnoses, no kernel needed.",
                          id="intro"),
        diagnosed_cell("argmax", argmax, 3),
        diagnosed_cell("healthy", healthy, 4),
        hostile_cell("hostile", 5),
        new_code_cell("x = 1", id="plain"),
    ])
    other = new_notebook(cells=[new_code_cell("y = 2", id="other-cell")])
    for name, notebook in (("records.ipynb", records), ("other.ipynb", other)):
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                           "language": "python"}
        nbformat.validate(notebook)
        (HERE / name).write_text(nbformat.writes(notebook) + "\n")
        print(f"wrote {HERE / name}")


if __name__ == "__main__":
    main()

"""examples/filter_parameters.ipynb runs top to bottom in a headless kernel (so it never goes stale):
no cell errors, every figure cell shows a PNG, and the slider cell shows its widget (or, without
ipywidgets, says how to do without)."""

import base64
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebook tooling: pip install -r dependencies/requirements-test.txt")
nbclient = pytest.importorskip("nbclient", reason="notebook tooling: pip install -r dependencies/requirements-test.txt")
pytest.importorskip("ipykernel", reason="notebook tooling: pip install -r dependencies/requirements-test.txt")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "examples" / "filter_parameters.ipynb"
PNG = b"\x89PNG\r\n\x1a\n"


def _pngs(cell) -> list[bytes]:
    return [base64.b64decode(out["data"]["image/png"]) for out in cell.get("outputs", [])
            if "image/png" in out.get("data", {})]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """A temporary copy of the notebook, executed (kernel "python3", i.e. this interpreter) and saved.

    The kernel starts in ``examples/``, as when a user opens the notebook there; the repository's
    file is never written.
    """
    copy = tmp_path_factory.mktemp("notebook") / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, copy)
    notebook = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    client.execute()
    nbformat.write(notebook, copy)
    return notebook


def test_the_stored_notebook_has_no_outputs_and_is_valid():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def test_every_cell_runs_without_error(executed):
    errors = [out for cell in executed.cells for out in cell.get("outputs", []) if out.output_type == "error"]
    assert errors == []


def test_figure_cells_show_the_filter_in_space_and_fourier(executed):
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    drawing = [cell for cell in code if "show_filter(" in cell.source or "plot_parameter_effects(" in cell.source]
    pngs = [png for cell in drawing for png in _pngs(cell)]
    assert len(pngs) >= 3  # the reference filter, the one-at-a-time grid, the user's own values
    assert all(png.startswith(PNG) and len(png) > 10_000 for png in pngs)
    assert len({png for png in pngs}) == len(pngs)  # different parameters, different pictures


def test_the_slider_cell_shows_a_widget_or_says_what_to_install(executed):
    (cell,) = [cell for cell in executed.cells if cell.cell_type == "code" and "interact(" in cell.source]
    kinds = [key for out in cell.outputs for key in out.get("data", {})]
    text = "".join(out.get("text", "") for out in cell.outputs)
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        assert "pip install ipywidgets" in text
    else:
        assert "application/vnd.jupyter.widget-view+json" in kinds

"""Every notebook's code cells run top to bottom against the public API (headless, from notebooks/).

Figures go to the non-interactive Agg backend here (in Jupyter they show inline); each notebook's run
time is in pytest's --durations report (README: under a minute each)."""
import json
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


def run_notebook(notebook: Path, monkeypatch) -> dict:
    """Its code cells, in order, in one namespace (returned for checks on what the cells built)."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    monkeypatch.chdir(notebook.parent)
    cells = json.loads(notebook.read_text())["cells"]
    namespace = {}
    try:
        for cell in cells:
            if cell["cell_type"] == "code":
                exec(compile("".join(cell["source"]), f"{notebook.name}", "exec"), namespace)
    finally:
        plt.close("all")
    return namespace


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs(notebook, monkeypatch):
    run_notebook(notebook, monkeypatch)


def test_first_notebook_plots_exactly_its_first_two_days(monkeypatch):
    """Its chart is titled 'first two days': it held two and a half (the first 48 half hours with
    calls, of about 20 a day); now two whole days, in time order."""
    namespace = run_notebook(NOTEBOOKS[0], monkeypatch)
    labels = list(namespace["by_time"].index)
    days = list(dict.fromkeys(label[:3] for label in labels))
    assert len(days) == 2 and labels == sorted(labels, key=lambda label: (days.index(label[:3]), label[4:]))


def test_there_are_the_teaching_notebooks():
    names = {path.name for path in NOTEBOOKS}
    assert {"02_erlang_c_and_the_wait_distribution.ipynb", "03_abandonment_changes_everything.ipynb",
            "04_pooling_and_skills.ipynb", "05_time_varying_demand.ipynb", "06_comparing_honestly.ipynb",
            "07_history_to_roster.ipynb"} <= names

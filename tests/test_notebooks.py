"""Every notebook's code cells run top to bottom against the public API (headless, from notebooks/).

Figures go to the non-interactive Agg backend here (in Jupyter they show inline); each notebook's run
time is in pytest's --durations report (README: under a minute each)."""
import json
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs(notebook, monkeypatch):
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


def test_there_are_the_teaching_notebooks():
    names = {path.name for path in NOTEBOOKS}
    assert {"02_erlang_c_and_the_wait_distribution.ipynb", "03_abandonment_changes_everything.ipynb",
            "04_pooling_and_skills.ipynb", "05_time_varying_demand.ipynb", "06_comparing_honestly.ipynb",
            "07_history_to_roster.ipynb"} <= names

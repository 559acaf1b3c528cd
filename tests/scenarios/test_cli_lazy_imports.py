"""`helpdesk-sim run` starts fast (issue 11) because it does not load what other commands need: the
libraries below are imported only inside the functions or command modules that use them. Checked by
what a fresh interpreter has loaded after a run, not by timing (benchmarks/bench_startup.py times it).
"""
from __future__ import annotations

import json
import subprocess
import sys

from .helpers import TINY, invoke, write

# Slow to import and not needed to run a scenario: the report's, the dask executor's and calibration's;
# pandas (about 0.3 s), as the KPI tables are light numpy tables written without it.
HEAVY = ("scipy.stats", "scipy.optimize", "matplotlib", "jinja2", "dask", "distributed", "playwright", "calibration",
         "pandas", "pyarrow")
# Exempt: standard library only, shared by results folders and the calibration profile (written whole).
LIGHT = ("calibration", "calibration.atomic")
COMMANDS = ("backtest", "calibrate", "compare", "erlang", "report", "run", "schedule", "staff", "sweep")

# Run the command in a new interpreter and print which HEAVY modules it loaded (last line, as JSON).
RUN_AND_LIST = """
import json, sys
from scenarios.cli import main
main(sys.argv[1:], standalone_mode=False)
heavy = [name for name in sys.modules if name in HEAVY or name.startswith(tuple(m + "." for m in HEAVY))]
print(json.dumps(sorted(name for name in heavy if name not in LIGHT)))
"""


def test_run_loads_none_of_the_heavy_libraries(tmp_path):
    scenario = write(tmp_path, TINY)
    # Two replications, so the 95 % interval (the t-quantile) is computed too.
    done = subprocess.run([sys.executable, "-c", f"HEAVY = {HEAVY!r}\nLIGHT = {LIGHT!r}\n{RUN_AND_LIST}", "run",
                           str(scenario), "--replications", "2", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == []


def test_help_lists_every_command_with_its_short_help():
    result = invoke("--help")
    assert result.exit_code == 0, result.output
    listed = result.stdout.split("Commands:")[1].splitlines()
    rows = [line.split(None, 1) for line in listed if line.strip()]
    assert tuple(name for name, _ in rows) == COMMANDS
    assert all(len(short_help) > 10 for _, short_help in rows)

"""`helpdesk-sim report`: report.html for a results directory of run, compare or sweep."""
from __future__ import annotations

from pathlib import Path

import click

from . import friendly_errors, main, write_report_to


@main.command()
@click.argument("results", type=click.Path(exists=True, file_okay=False, path_type=Path))
@friendly_errors
def report(results):
    """Write RESULTS/report.html: one self-contained page (charts embedded, no network requests) with
    the headline KPIs and their 95 % intervals, interval profiles by weekday, staffing against
    workload per group, warnings, for a comparison the paired differences, the KPI definitions and
    the resolved scenarios. Open it in any browser; it can be mailed as one file.

    \b
    Examples:
      helpdesk-sim report results/it-helpdesk
      helpdesk-sim compare scenarios/library/it-helpdesk.yaml scenarios/library/it-helpdesk-callback.yaml --report
    """
    write_report_to(results)

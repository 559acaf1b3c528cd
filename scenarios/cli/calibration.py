"""`helpdesk-sim calibrate` and `helpdesk-sim backtest`: from a history to a profile, and back."""
from __future__ import annotations

import os
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import click
import numpy as np

from calibration.loaders import FORMATS, load_history
from calibration.profile import PATIENCE_RESAMPLES, calibrate as calibrate_history
from calibration.report import write_report
from simulator import units

from scenarios.experiment.backtest import run_backtest
from scenarios.experiment.interrupts import signals_held
from scenarios.experiment.results_dir import refuse_below_a_file, refuse_foreign, results_directory
from . import friendly_errors, main
from .plan import invocation
from scenarios.format.yamlfile import read_yaml

DATE_FORMAT_HELP = ("How dates are written: auto (ISO 8601, or day-first / month-first told apart by a day above "
                    "12), iso, day-first, month-first, or a strftime pattern such as %d.%m.%y %H:%M.")


@main.command()
@click.argument("history", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "history_format", required=True, type=click.Choice(FORMATS), help="History format.")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN", help="csv: which column holds a field.")
@click.option("--interval", default="30min", show_default=True, help="Arrival-table and observed-KPI interval.")
@click.option("--timezone", help="Convert offset-carrying timestamps to this zone's wall clock.")
@click.option("--date-format", "date_format", metavar="FORMAT", help=DATE_FORMAT_HELP)
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="profile.yaml to write.")
@click.option("--report", type=click.Path(file_okay=False, path_type=Path), help="Folder for report.md and plots.")
@click.option("--bootstrap", default=100, show_default=True, type=click.IntRange(min=0),
              help="Parametric-bootstrap samples per handle-time family for goodness-of-fit p-values (0: skip).")
@click.option("--resamples", default=PATIENCE_RESAMPLES, show_default=True, type=click.IntRange(min=0),
              help="Resamples of calls for the patience intervals (0: skip).")
@click.option("--min-contacts", default=100, show_default=True, type=click.IntRange(min=1),
              help="Contact types with fewer contacts are pooled as `other`.")
@click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0))
@friendly_errors
def calibrate(history, history_format, mapping, interval, timezone, date_format, out, report, bootstrap, resamples,
              min_contacts, seed):
    """Fit arrivals, handle times and patience from HISTORY files into a profile a scenario can use."""
    refuse_inputs_as_outputs(history, out, report)
    loaded = load_history(list(history), history_format, mapping=_pairs(mapping), timezone=timezone,
                          date_format=date_format)
    click.echo(str(loaded.accounting), err=True)
    how = {**({"map": _pairs(mapping)} if mapping else {}), **({"timezone": timezone} if timezone else {}),
           **({"date_format": date_format} if date_format else {})}
    sources = [{"path": os.path.relpath(Path(p).resolve(), out.resolve().parent), "format": history_format, **how}
               for p in history]  # relative to the profile, so profile and history can move together
    with _progress_bar("calibrate") as progress:
        profile = calibrate_history(loaded, np.random.default_rng(seed), units.duration(interval), bootstrap,
                                    min_contacts, sources=sources, resamples=resamples, progress=progress)
    click.echo(_profile_lines(profile))
    if report:
        write_profile_and_report(profile, out, report)
    else:
        profile.write(out)
    click.echo(f"profile written to {out}", err=True)


def write_profile_and_report(profile, out: Path, report: Path) -> None:
    """The report is drawn in a staging folder beside `report` (calibration/report.py writes into the
    folder it is given), then the profile is written, then the folder is swapped in whole: a failure or
    a stop signal on the way leaves neither a partial report nor a new profile, only `run.failed.yaml`
    saying why (and an earlier report and profile as they were); a stop that comes once the profile is
    being written waits until the report is in place too. A profile inside the report folder is
    written into the staging folder, so it is published with the report instead of replaced by it."""
    profile_path, folder = Path(os.path.abspath(out)), Path(os.path.abspath(report))
    with ExitStack() as publishing:
        with results_directory(report, invocation(), lambda text: click.echo(text, err=True), "--report") as staging:
            with _progress_bar("report") as progress:
                written = write_report(profile, staging, progress)
            if profile_path.parent == folder:
                profile.write(staging / profile_path.name)
            else:  # two places: a stop waits until both the profile and the report are in place
                publishing.enter_context(signals_held())
                profile.write(out)
    click.echo(f"report: {report / written.name}", err=True)


@main.command()
@click.argument("profile", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--history", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="History to replay (default: the profile's own sources).")
@click.option("--format", "history_format", type=click.Choice(FORMATS), help="Format of --history.")
@click.option("--date-format", "date_format", metavar="FORMAT",
              help=DATE_FORMAT_HELP + " Default: the profile's sources' own.")
@click.option("--replications", "-r", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=1, show_default=True, type=click.IntRange(min=0))
@click.option("--workers", "-w", default=1, show_default=True, type=click.IntRange(min=1))
@click.option("--availability", default=1.0, show_default=True, type=click.FloatRange(0, 1, min_open=True),
              help="Share of the agents seen in an interval who were free to take calls.")
@click.option("--after-call-work", "after_call_work", default="0s", show_default=True,
              help="Constant wrap-up after each call (the log records talk time only), e.g. 30s.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), help="Folder for the CSVs.")
@friendly_errors
def backtest(profile, history, history_format, date_format, replications, seed, workers, availability,
             after_call_work, out):
    """Replay a history's arrivals and staffing with PROFILE's fits; compare simulated and observed KPIs."""
    document = read_yaml(profile)
    loaded = _history_for(document, history, history_format, profile.parent, date_format)
    wrap_up = units.duration(after_call_work, allow_zero=True)
    with click.progressbar(length=replications, label="replications", file=sys.stderr) as bar:
        result = run_backtest(document, loaded, replications, seed, workers, availability=availability,
                              progress=bar.update, after_call_work_s=wrap_up)
    click.echo("Observed vs simulated, whole period (simulated: mean ±95 % CI over replications)")
    click.echo(result.overall.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    click.echo("\nPer interval (intervals with calls): bias = mean(simulated − observed)")
    click.echo(result.interval_errors.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    out = out or Path("results") / "backtest"
    with results_directory(out, invocation(), lambda text: click.echo(text, err=True)) as staging:
        result.overall.to_csv(staging / "overall.csv", index=False)
        result.intervals.to_csv(staging / "intervals.csv", index=False)
        result.interval_errors.to_csv(staging / "interval_errors.csv", index=False)
    click.echo(f"results in {out}/", err=True)


def refuse_inputs_as_outputs(inputs, out: Path, report: Path | None) -> None:
    """A profile or report written over a history it reads would destroy it: refuse before reading
    (and a path below a file, a report folder that is not ours to replace, before the work)."""
    refuse_below_a_file(out, "--out")
    if report is not None:
        refuse_below_a_file(report, "--report")
    for path in inputs:
        for target, option in ((out, "--out"), (report, "--report")):
            if target is not None and Path(target).exists() and Path(path).exists() and \
                    os.path.samefile(target, path):
                raise ValueError(f"{option} {target} is the history being read; give another path")
        if report is not None and Path(report).resolve() in Path(path).resolve().parents:
            raise ValueError(f"--report {report} holds the history {path}; give a folder of its own")
    if report is not None:
        if os.path.abspath(report) == os.path.abspath(out):
            raise ValueError(f"--out and --report are both {out}; give the profile a file name of its own")
        _refuse_a_profile_the_report_would_replace(Path(os.path.abspath(out)), Path(os.path.abspath(report)))
        refuse_foreign(Path(os.path.abspath(report)), "--report")  # it is replaced whole


def _refuse_a_profile_the_report_would_replace(out: Path, report: Path) -> None:
    """Inside the report folder, the profile is published with the report: directly in it, and named
    .yaml, never as one of the report's own .md and .png files."""
    if report not in out.parents:
        return
    if out.parent != report or out.suffix.lower() not in (".yaml", ".yml"):
        raise ValueError(f"--out {out} lies in the --report folder, whose report.md and plots replace it; "
                         f"give the profile a .yaml name directly in {report}, or a path outside it")


def _history_for(document: dict, paths, history_format, profile_folder: Path, date_format=None):
    if paths:
        if not history_format:
            raise ValueError("--history needs --format")
        return load_history(list(paths), history_format, date_format=date_format)
    sources = document.get("sources") or []
    if not sources:
        raise ValueError("the profile names no sources; give --history and --format")
    first = sources[0]
    if not isinstance(first, dict) or "path" not in first or "format" not in first:
        raise ValueError("the profile's `sources` entries need `path` and `format`; give --history and --format")
    return load_history([profile_folder / s["path"] for s in sources], first["format"], mapping=first.get("map"),
                        timezone=first.get("timezone"), date_format=date_format or first.get("date_format"))


def _pairs(assignments) -> dict | None:
    pairs = {}
    for assignment in assignments:
        field, separator, column = assignment.partition("=")
        if not separator or not field or not column:
            raise ValueError(f"--map needs FIELD=COLUMN, got {assignment!r}")
        pairs[field.strip()] = column.strip()
    return pairs or None


@contextmanager
def _progress_bar(label: str):
    """A bar on stderr while calibration works, on a terminal only (tqdm stays silent elsewhere)."""
    from tqdm import tqdm
    with tqdm(desc=label, unit="step", file=sys.stderr, disable=None, leave=False) as bar:
        def show(step: str, done: int, total: int) -> None:
            bar.total, bar.n = total, done
            bar.set_postfix_str(step, refresh=False)
            bar.refresh()
        yield show


def _profile_lines(profile) -> str:
    """Per type: volume, handle time (mean, cv), and patience as the data support it (median, the
    Kaplan-Meier mean within the observed waits); fitted means that extrapolate are listed after."""
    lines = [f"{'type':>8} {'contacts':>9} {'arrivals/week':>14}  {'handle time':<30} {'patience: median':>22} "
             f"{'KM mean within longest wait':>28}"]
    extrapolated = []
    for c in profile.contacts:
        weekly = np.nansum(c.arrivals.rates.to_numpy()) * profile.interval_s / 3600
        handle = (f"{c.handle.best.name}: mean {c.handle.best.mean:.0f} s, cv {c.handle.best.cv:.2f}" if c.handle
                  else "– (give one)")
        if c.patience:
            fit = c.patience
            beyond = " (extrapolated)" if fit.median() > fit.longest_wait_s else ""
            median = f"{fit.median():.0f} s{beyond}"
            km = f"{fit.km_restricted_mean:.0f} s within {fit.longest_wait_s:.0f} s"
            extrapolated.append(f"{c.name:>8}  {fit.fitted_mean()}")
        else:
            median, km = "– (no abandons)", ""
        lines.append(f"{c.name:>8} {len(c.contacts):>9} {weekly:>14.0f}  {handle:<30} {median:>22} {km:>28}")
    if extrapolated:
        lines += ["Patience median: of the AIC-best fit; KM mean: Kaplan-Meier, restricted to the longest "
                  "observed wait. The fitted mean written to the profile:", *extrapolated]
    return "\n".join(lines + _flags(profile))


def _flags(profile) -> list[str]:
    """What the profile leaves out or replays that a planner should know before using it."""
    flags = [f"Flagged spike, {c.name} {spike.summary()}; if it was a one-off, edit that slot of the "
             "profile's weekly table or calibrate on more weeks."
             for c in profile.contacts for spike in c.arrivals.spikes]
    for c in profile.contacts:
        recorded = c.contacts["handle_time_s"].dropna()
        recorded = recorded[recorded > 0]
        if c.handle is None and len(recorded) >= 10 and recorded.nunique() == 1:
            flags.append(f"handle time of {c.name} not fitted: all {len(recorded)} recorded handle times are "
                         f"{recorded.iloc[0]:g} s (an export rounded to the minute?), so no distribution's spread "
                         f"can be estimated; give `handle_time` in the scenario.")
    unknown = [c.name for c in profile.contacts if c.arrivals.day_to_day is None]
    if unknown:
        flags.append(f"day_to_day_cv not estimable for {', '.join(unknown)} (no weekday observed on two days): left "
                     "out of the profile, so a scenario built on it draws Poisson days unless it sets one.")
    return flags

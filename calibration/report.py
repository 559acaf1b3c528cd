"""The calibration report a planner reads: data accounting, then each contact type's fits and plots.

Markdown plus PNG files, so it renders anywhere (a repository viewer, an editor, pandoc to HTML/PDF).
Every plot's title names its contact type, so a figure copied out of the report still says what it shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .profile import CalibrationProfile
from .progress import Steps

FIGURE_DPI = 110


@dataclass(frozen=True)
class ReportFigure:
    file_name: str
    caption: str
    ax: object  # matplotlib Axes


def write_report(profile: CalibrationProfile, folder: Path, progress=None) -> Path:
    """Write `report.md` and its plots into `folder`; returns the report's path. Written file by file:
    `calibrate --report` gives it a staging folder and swaps that in whole when it returns."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# Calibration report", "",
             f"Period {profile.period_start.date()} to {profile.period_end.date()}, "
             f"{len(profile.skip_dates)} days without data "
             f"({', '.join(str(d.date()) for d in profile.skip_dates) or 'none'}).", "",
             "## Data accounting", "", "Every input row is kept or rejected for a reason; notes count kept rows "
             "that needed an interpretation.", "", _markdown_table(profile.accounting), ""]
    steps = Steps(progress, len(profile.contacts))
    for calibration in profile.contacts:
        steps.start(f"{calibration.name}: plots")
        lines += _contact_section(calibration, folder)
    steps.finish()
    path = folder / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def contact_figures(calibration) -> dict[str, ReportFigure]:
    """The plots of one contact type by kind, each titled with the type's name."""
    name = calibration.name
    figures = {"arrivals": (calibration.arrivals.plot(), "arrivals.png", "weekly arrival heatmap",
                            "arrivals per hour")}
    if calibration.handle is not None:
        figures["handle-qq"] = (calibration.handle.plot("qq"), "handle-qq.png", "QQ plot of the best fit",
                                f"handle time: QQ plot, best fit ({calibration.handle.best.name})")
        figures["handle-hist"] = (calibration.handle.plot("hist"), "handle-hist.png", "histogram and densities",
                                  "handle time: histogram and fitted densities")
    if calibration.patience is not None:
        figures["patience"] = (calibration.patience.plot(), "patience.png", "Kaplan-Meier and fits",
                               "patience: Kaplan-Meier and fitted survival")
    if calibration.abandon_check is not None:
        figures["abandon-vs-wait"] = (calibration.abandon_check.plot(), "abandon-vs-wait.png",
                                      "share abandoned against mean wait", "abandonment against mean wait")
    result = {}
    for kind, (ax, file_name, caption, title) in figures.items():
        ax.set_title(f"{name}: {title}")
        result[kind] = ReportFigure(f"{name}-{file_name}", caption, ax)
    return result


def _contact_section(calibration, folder: Path) -> list[str]:
    name = calibration.name
    figures = {kind: _figure(figure, folder) for kind, figure in contact_figures(calibration).items()}
    pooled = f" (pooled: {', '.join(map(str, calibration.pooled_from))})" if calibration.pooled_from else ""
    lines = [f"## Contact type `{name}`{pooled}", "", f"{len(calibration.contacts)} contacts.", "",
             "### Arrivals", "", *_arrival_flags(calibration.arrivals), _code(calibration.arrivals.summary()),
             figures["arrivals"]]
    if calibration.handle is not None:
        lines += ["### Handle time", "", _code(calibration.handle.summary()), figures["handle-qq"],
                  figures["handle-hist"]]
    else:
        lines += ["### Handle time", "", "No handle times in this history: give `handle_time` in the scenario.", ""]
    if calibration.patience is not None:
        lines += ["### Patience (censored: answered callers only show a lower bound)", "",
                  f"**{calibration.patience.headline()}.**", "", _code(calibration.patience.summary()),
                  figures["patience"]]
    if calibration.abandon_check is not None:
        lines += ["### Check: abandonment against wait per interval", "", _code(calibration.abandon_check.summary()),
                  figures["abandon-vs-wait"]]
    lines += ["### Flows", "", _code("\n".join(f"{k}: {v}" for k, v in calibration.flows.items()))]
    return lines


def _arrival_flags(arrivals) -> list[str]:
    """What the profile leaves out or replays every week, in bold above the arrival figures."""
    flags = [f"**Flagged spike: {spike.summary()}. If it was a one-off, edit that slot of the profile's "
             "weekly table or calibrate on more weeks.**" for spike in arrivals.spikes]
    if arrivals.day_to_day is None:
        flags.append("**Day-to-day variation is not estimable (no weekday observed on two days): `day_to_day_cv` "
                     "is left out of the profile, so a scenario built on it draws Poisson days unless it sets one.**")
    return [line for flag in flags for line in (flag, "")]


def _figure(figure: ReportFigure, folder: Path) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in figure.file_name)
    figure.ax.figure.savefig(folder / safe, dpi=FIGURE_DPI)
    return f"![{figure.caption}]({safe})\n"


def _code(text: str) -> str:
    return f"```\n{text}\n```\n"


def _markdown_table(frame: pd.DataFrame) -> str:
    columns = [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        rows.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
    return "\n".join(rows)

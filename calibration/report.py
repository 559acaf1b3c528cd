"""The calibration report a planner reads: data accounting, then each contact type's fits and plots.

Markdown plus PNG files, so it renders anywhere (a repository viewer, an editor, pandoc to HTML/PDF).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .profile import CalibrationProfile
from .progress import Steps

FIGURE_DPI = 110


def write_report(profile: CalibrationProfile, folder: Path, progress=None) -> Path:
    """Write `report.md` and its plots into `folder`; returns the report's path."""
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


def _contact_section(calibration, folder: Path) -> list[str]:
    name = calibration.name
    pooled = f" (pooled: {', '.join(map(str, calibration.pooled_from))})" if calibration.pooled_from else ""
    lines = [f"## Contact type `{name}`{pooled}", "", f"{len(calibration.contacts)} contacts.", "",
             "### Arrivals", "", _code(calibration.arrivals.summary()),
             _figure(calibration.arrivals.plot(), folder, f"{name}-arrivals.png", "weekly arrival heatmap")]
    if calibration.handle is not None:
        lines += ["### Handle time", "", _code(calibration.handle.summary()),
                  _figure(calibration.handle.plot("qq"), folder, f"{name}-handle-qq.png", "QQ plot of the best fit"),
                  _figure(calibration.handle.plot("hist"), folder, f"{name}-handle-hist.png", "histogram and densities")]
    else:
        lines += ["### Handle time", "", "No handle times in this history: give `handle_time` in the scenario.", ""]
    if calibration.patience is not None:
        lines += ["### Patience (censored: answered callers only show a lower bound)", "",
                  f"**{calibration.patience.headline()}.**", "", _code(calibration.patience.summary()),
                  _figure(calibration.patience.plot(), folder, f"{name}-patience.png", "Kaplan-Meier and fits")]
    if calibration.abandon_check is not None:
        lines += ["### Check: abandonment against wait per interval", "", _code(calibration.abandon_check.summary()),
                  _figure(calibration.abandon_check.plot(), folder, f"{name}-abandon-vs-wait.png",
                          "share abandoned against mean wait")]
    lines += ["### Flows", "", _code("\n".join(f"{k}: {v}" for k, v in calibration.flows.items()))]
    return lines


def _figure(ax, folder: Path, file_name: str, caption: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in file_name)
    ax.figure.savefig(folder / safe, dpi=FIGURE_DPI)
    return f"![{caption}]({safe})\n"


def _code(text: str) -> str:
    return f"```\n{text}\n```\n"


def _markdown_table(frame: pd.DataFrame) -> str:
    columns = [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for _, row in frame.iterrows():
        rows.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
    return "\n".join(rows)

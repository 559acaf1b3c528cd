"""The report's charts: matplotlib figures embedded as PNG data URIs (no files, no network).

Figures are made with `matplotlib.figure.Figure`, never pyplot, so no global state is touched and
nothing needs a display.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
WIDTH = 10.0


@dataclass
class Panel:
    """One chart of a stack: lines (label → profile with day, mean, ci95), drawn with CI bands."""
    title: str
    ylabel: str
    lines: dict = field(default_factory=dict)
    percent: bool = False
    steps: dict = field(default_factory=dict)  # label → profile drawn as a step line without a band


def data_uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def profile_chart(panels: list[Panel]) -> str:
    """Panels stacked over the same weekly time axis."""
    figure = Figure(figsize=(WIDTH, 2.4 * len(panels)))
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    days = []
    for ax, panel in zip(axes, panels):
        for label, profile in panel.steps.items():
            ax.step(profile.day, profile["mean"], where="post", label=label, color="black", linewidth=1.2)
            days.extend(profile.day)
        for label, profile in panel.lines.items():
            line, = ax.plot(profile.day, profile["mean"], label=label, linewidth=1.2)
            band = profile.ci95.fillna(0)
            low, high = profile["mean"] - band, profile["mean"] + band
            ax.fill_between(profile.day, low.clip(lower=0), high.clip(upper=1) if panel.percent else high,
                            alpha=0.25, color=line.get_color(), linewidth=0)  # the KPI's own range
            days.extend(profile.day)
        ax.set_title(panel.title, fontsize=10, loc="left")
        ax.set_ylabel(panel.ylabel, fontsize=9)
        ax.grid(alpha=0.3)
        if panel.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0))
            ax.set_ylim(-0.02, 1.02)
        else:
            ax.set_ylim(bottom=0)
        if len(panel.lines) + len(panel.steps) > 1:
            ax.legend(fontsize=8, loc="upper right", ncols=min(4, len(panel.lines) + len(panel.steps)))
    _weekday_axis(axes[-1], days)
    return data_uri(figure)


def _weekday_axis(ax, days) -> None:
    if not days:
        return
    first, last = int(np.floor(min(days))), int(np.ceil(max(days) + 1e-9))
    span = max(last - first, 1)
    ticks = np.arange(first, last + 1, 1 if span > 1 else 0.25)
    ax.set_xticks(ticks)
    ax.set_xticklabels([_tick(tick, span) for tick in ticks], fontsize=8)
    ax.set_xlim(first, max(last, first + 1))


def _tick(day: float, span: int) -> str:
    name = WEEKDAYS[int(day) % 7]
    if span > 1:
        return name
    return f"{name} {int(round((day % 1) * 24)):02d}:00"


def forest_chart(rows: pd.DataFrame) -> str:
    """Paired differences with 95 % CIs: one panel per KPI, one row per alternative; zero marked."""
    kpis = list(dict.fromkeys(rows.kpi))
    alternatives = rows.scenario.nunique()
    figure = Figure(figsize=(WIDTH, 1.2 + 0.35 * alternatives))
    axes = figure.subplots(1, len(kpis), squeeze=False)[0]
    for ax, kpi in zip(axes, kpis):
        mine = rows[rows.kpi == kpi]
        positions = np.arange(len(mine))[::-1]
        colors = ["tab:green" if v == "better" else "tab:red" if v == "worse" else "tab:gray" for v in mine.verdict]
        for x, y, half, color in zip(mine["diff"], positions, mine.diff_ci95.fillna(0), colors):
            ax.errorbar([x], [y], xerr=[half], fmt="o", color=color, capsize=3, markersize=4)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_ylim(-0.7, len(mine) - 0.3)
        ax.set_yticks(positions)
        ax.set_yticklabels(mine.scenario if ax is axes[0] else [""] * len(mine), fontsize=8)
        ax.set_title(kpi, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", alpha=0.3)
    return data_uri(figure)


def sweep_chart(means: pd.DataFrame, kpis: list[str]) -> str:
    """Each KPI's mean ± 95 % across the variants (in grid order)."""
    figure = Figure(figsize=(WIDTH, 2.2 * len(kpis)))
    axes = figure.subplots(len(kpis), 1, sharex=True, squeeze=False)[:, 0]
    positions = np.arange(means.variant.nunique())
    for ax, kpi in zip(axes, kpis):
        rows = means[means.kpi == kpi]
        ax.errorbar(positions, rows["mean"], yerr=rows.ci95.fillna(0), fmt="o-", capsize=3, markersize=4)
        ax.set_ylabel(kpi, fontsize=9)
        ax.grid(alpha=0.3)
    axes[-1].set_xticks(positions)
    axes[-1].set_xticklabels(list(dict.fromkeys(means.variant)), rotation=30, ha="right", fontsize=8)
    return data_uri(figure)


def requirement_figure(table: pd.DataFrame) -> Figure:
    """Per staffed group over the week: the simulated requirement, SIPP's, the roster before, and the
    two loads (requirements.csv)."""
    groups = list(dict.fromkeys(table.group))
    figure = Figure(figsize=(WIDTH, 2.6 * len(groups)))
    axes = figure.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    order = {day: k for k, day in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
    for ax, group in zip(axes, groups):
        rows = table[table.group == group]
        minutes = rows.interval.str.slice(0, 2).astype(int) * 60 + rows.interval.str.slice(3, 5).astype(int)
        day = rows.weekday.map(order) + minutes / 1440.0
        ax.step(day, rows.agents_required, where="post", color="black", linewidth=1.3, label="required (simulated)")
        ax.step(day, rows.agents_sipp, where="post", color="tab:red", linewidth=1.0, label="SIPP (Erlang per interval)")
        ax.step(day, rows.agents_on_shift_before, where="post", color="tab:gray", linewidth=0.8, alpha=0.8,
                label="on shift before")
        ax.plot(day, rows.infinite_server_load, color="tab:blue", linewidth=0.8, linestyle="--",
                label="load in progress (Erlangs)")
        ax.set_title(f"{group}: agents on duty per interval", fontsize=10, loc="left")
        ax.set_ylabel("agents", fontsize=9)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
        _weekday_axis(ax, list(day))
    return figure

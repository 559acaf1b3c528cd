"""SCENARIO_FORMAT.md "Bad input": every wrong value is refused before anything runs, saying what is
wrong, where (file, line, key path) and how to fix it; the CLI exits 2 with `error: …` and no traceback.

Each case edits the tiny valid scenario and marks the line the error must point at with `# <-`.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass

import pytest

from scenarios.experiment.runner import run_experiment
from scenarios.format.scenario import load_scenario

from .helpers import (TINY, assert_points_at, console_script, edit, invoke, load_error, marked_line, no_traceback,
                      same_file, write)

SHIFT = '        - {days: all, start: "00:00", end: "24:00", agents: 3}\n'
BLOCK_SHIFT = ('        - days: all\n'
               '          start: "00:00"\n'
               '          end: "24:00"\n'
               '          agents: 3\n')
PATIENCE = "      patience: {dist: exponential, mean: 6min}\n"
HANDLE = "      handle_time: {dist: exponential, mean: 4min}"
RATE = "        rate: 30/h"
CONTACT = "demand.contacts.billing"
GROUP = "staffing.groups.l1"


@dataclass(frozen=True)
class Case:
    id: str
    old: str
    new: str
    key_path: str | None  # None: the error is not about one key (broken YAML, duplicate key)
    says: tuple[str, ...]  # fragments the message must contain (what is wrong, how to fix)
    mark: str | None = None  # for edits that remove lines: the line (after the edit) to mark

    def text(self) -> str:
        text = edit(TINY, self.old, self.new)
        return edit(text, self.mark + "\n", self.mark + "  # <-\n") if self.mark else text


def after_patience(line: str) -> tuple[str, str]:
    return PATIENCE, PATIENCE + line + "\n"


def with_policies(line: str) -> tuple[str, str]:
    return "experiment:\n", f"policies:\n{line}\nexperiment:\n"


CASES = [
    # --- negative or zero durations -------------------------------------------------------------
    Case("handle-time-negative", HANDLE, HANDLE.replace("4min", "-4min") + "  # <-",
         f"{CONTACT}.handle_time", ("positive", "-4min")),
    Case("handle-time-zero", HANDLE, HANDLE.replace("4min", "0min") + "  # <-",
         f"{CONTACT}.handle_time", ("positive",)),
    Case("patience-zero", PATIENCE, "      patience: {dist: exponential, mean: 0s}  # <-\n",
         f"{CONTACT}.patience", ("positive",)),
    Case("horizon-zero", "  horizon: 1d", "  horizon: 0d  # <-", "calendar.horizon", ("positive",)),
    Case("horizon-negative", "  horizon: 1d", "  horizon: -2d  # <-", "calendar.horizon", ("positive",)),
    Case("interval-zero", "  interval: 1h", "  interval: 0  # <-", "calendar.interval", ("positive",)),
    Case("warmup-negative", "  warmup: 0s", "  warmup: -1h  # <-", "calendar.warmup", ("positive",)),
    Case("retrial-delay-negative",
         *after_patience("      retrial: {probability: 0.3, delay: {dist: exponential, mean: -10min}}  # <-"),
         f"{CONTACT}.retrial.delay", ("positive",)),
    Case("sla-answer-within-negative", *after_patience("      sla: {answer_within: -20s}  # <-"),
         f"{CONTACT}.sla.answer_within", ("positive",)),
    Case("break-length-zero", SHIFT, BLOCK_SHIFT + "          breaks:\n            - {after: 2h, length: 0min}  # <-\n",
         f"{GROUP}.shifts.0.breaks.length", ("positive",)),
    Case("break-window-outside-the-shift", SHIFT,
         '        - days: all\n          start: "08:00"\n          end: "16:00"\n          agents: 3\n'
         '          breaks:\n            - {window: "17:00-18:00", length: 15min}  # <-\n',
         f"{GROUP}.shifts.0.breaks.window", ("not inside the shift",)),
    Case("break-longer-than-its-window", SHIFT,
         '        - days: all\n          start: "08:00"\n          end: "16:00"\n          agents: 3\n'
         '          breaks:\n            - {window: "11:00-11:20", length: 30min}  # <-\n',
         f"{GROUP}.shifts.0.breaks.window", ("does not fit",)),
    Case("break-with-after-and-window", SHIFT,
         BLOCK_SHIFT + '          breaks:\n            - {after: 2h, window: "11:00-13:00", length: 30min}  # <-\n',
         f"{GROUP}.shifts.0.breaks", ("not both",)),
    Case("short-abandon-negative", "experiment:\n", "kpis:\n  short_abandon: -5s  # <-\nexperiment:\n",
         "kpis.short_abandon", ("positive",)),
    Case("uniform-high-below-low", HANDLE, "      handle_time: {dist: uniform, low: 5min, high: 2min}  # <-",
         f"{CONTACT}.handle_time", ("high > low",)),
    # --- probabilities outside [0, 1] --------------------------------------------------------------
    Case("retrial-probability-above-one",
         *after_patience("      retrial: {probability: 1.5, delay: {dist: exponential, mean: 10min}}  # <-"),
         f"{CONTACT}.retrial.probability", ("between 0 and 1", "1.5")),
    Case("retrial-probability-negative",
         *after_patience("      retrial: {probability: -0.2, delay: {dist: exponential, mean: 10min}}  # <-"),
         f"{CONTACT}.retrial.probability", ("between 0 and 1",)),
    Case("shrinkage-above-one", "      shrinkage: 0.0", "      shrinkage: 1.2  # <-",
         f"{GROUP}.shrinkage", ("between 0 and 1",)),
    Case("shrinkage-negative", "      shrinkage: 0.0", "      shrinkage: -0.1  # <-",
         f"{GROUP}.shrinkage", ("between 0 and 1",)),
    # --- a contact type no agent group can serve ---------------------------------------------------
    Case("contact-type-nobody-serves", "    - name: billing\n",
         "    - name: tech  # <-\n      arrivals: {rate: 5/h}\n"
         "      handle_time: {dist: exponential, mean: 9min}\n    - name: billing\n",
         "demand.contacts.tech", ("tech", "skill", "add `tech: 1`")),
    # --- shifts: zero length, bad clock times, bad days --------------------------------------------
    Case("shift-zero-length", SHIFT, '        - {days: all, start: "08:00", end: "08:00", agents: 3}  # <-\n',
         f"{GROUP}.shifts.0.end", ("00:00-24:00", "overnight")),
    Case("shift-zero-length-at-midnight", SHIFT,
         '        - {days: all, start: "00:00", end: "00:00", agents: 3}  # <-\n',
         f"{GROUP}.shifts.0.end", ("00:00-24:00",)),
    Case("clock-hour-25", SHIFT, '        - {days: all, start: "08:00", end: "25:00", agents: 3}  # <-\n',
         f"{GROUP}.shifts.0.end", ("25:00", "time of day")),
    Case("clock-minute-75", SHIFT, '        - {days: all, start: "08:75", end: "16:00", agents: 3}  # <-\n',
         f"{GROUP}.shifts.0.start", ("08:75",)),
    Case("clock-not-a-time", SHIFT, '        - {days: all, start: "noon", end: "16:00", agents: 3}  # <-\n',
         f"{GROUP}.shifts.0.start", ("HH:MM",)),
    Case("clock-24-as-start", SHIFT, '        - {days: all, start: "24:00", end: "08:00", agents: 3}  # <-\n',
         f"{GROUP}.shifts.0.start", ("24:00",)),
    Case("shift-unknown-day", SHIFT, '        - {days: mon-fry, start: "08:00", end: "16:00", agents: 3}  # <-\n',
         f"{GROUP}.shifts.0.days", ("mon-fry", "mon-fri")),
    Case("shift-negative-agents", SHIFT, '        - {days: all, start: "08:00", end: "16:00", agents: -3}  # <-\n',
         f"{GROUP}.shifts.0.agents", ("-3",)),
    # --- rates -------------------------------------------------------------------------------------
    Case("rate-without-unit", RATE, "        rate: 30  # <-", f"{CONTACT}.arrivals.rate", ("unit", "30/h")),
    Case("rate-unknown-unit", RATE, "        rate: 30/hour  # <-", f"{CONTACT}.arrivals.rate", ("120/h",)),
    Case("rate-negative", RATE, "        rate: -30/h  # <-", f"{CONTACT}.arrivals.rate", ("positive",)),
    Case("weekly-period-rate-without-unit", RATE,
         '        weekly:\n          mon-fri: {"08:00-12:00": 10}  # <-',
         f"{CONTACT}.arrivals.weekly.mon-fri", ("unit", "10/h")),
    # --- unknown keys, with the nearest valid key -------------------------------------------------
    Case("typo-of-required-key", HANDLE, HANDLE.replace("handle_time", "handel_time") + "  # <-",
         f"{CONTACT}.handel_time", ("unknown key `handel_time`", "did you mean `handle_time`?")),
    Case("typo-of-optional-key", PATIENCE, "      patiense: {dist: exponential, mean: 6min}  # <-\n",
         f"{CONTACT}.patiense", ("unknown key `patiense`", "did you mean `patience`?")),
    Case("typo-top-level-section", "calendar:\n", "calender:  # <-\n",
         "calender", ("unknown key `calender`", "did you mean `calendar`?")),
    Case("typo-in-calendar", "  warmup: 0s\n", "  warmpu: 0s  # <-\n",
         "calendar.warmpu", ("did you mean `warmup`?",)),
    Case("typo-in-shift", SHIFT, '        - {days: all, start: "00:00", end: "24:00", agent: 3}  # <-\n',
         f"{GROUP}.shifts.0.agent", ("unknown key `agent`", "did you mean `agents`?")),
    Case("unknown-key-lists-valid-keys", PATIENCE, PATIENCE + "      colour: blue  # <-\n",
         f"{CONTACT}.colour", ("unknown key `colour`", "handle_time", "patience")),
    Case("typo-of-distribution-parameter", HANDLE, "      handle_time: {dist: exponential, mena: 4min}  # <-",
         f"{CONTACT}.handle_time", ("mena", "mean")),
    # --- distributions -------------------------------------------------------------------------------
    Case("unknown-distribution", HANDLE, "      handle_time: {dist: poisson, mean: 4min}  # <-",
         f"{CONTACT}.handle_time", ("poisson", "exponential", "lognormal")),
    Case("distribution-missing-parameter", HANDLE, "      handle_time: {dist: lognormal, mean: 4min}  # <-",
         f"{CONTACT}.handle_time", ("cv",)),
    Case("distribution-not-a-mapping", HANDLE, "      handle_time: 4min  # <-",
         f"{CONTACT}.handle_time", ("dist",)),
    # --- missing required keys ---------------------------------------------------------------------
    Case("missing-handle-time", HANDLE + "\n", "", CONTACT, ("`handle_time`", "required"),
         mark="    - name: billing"),
    Case("missing-shift-agents", SHIFT, '        - {days: all, start: "00:00", end: "24:00"}  # <-\n',
         f"{GROUP}.shifts.0", ("`agents`", "required")),
    Case("missing-arrivals", "      arrivals:\n        rate: 30/h\n", "", CONTACT, ("`arrivals`", "required"),
         mark="    - name: billing"),
    # --- cross-references --------------------------------------------------------------------------
    Case("skill-for-unknown-contact-type", "      skills: {billing: 1}", "      skills: {billing: 1, tehc: 2}  # <-",
         f"{GROUP}.skills", ("tehc", "billing")),
    Case("group-serves-nothing", "      skills: {billing: 1}", "      skills: {}  # <-", f"{GROUP}.skills",
         ("serves no queue",)),
    Case("automation-for-unknown-contact-type", "experiment:\n",
         "policies:\n  automation:\n    handle_time_factor: {tehc: 0.9}  # <-\nexperiment:\n",
         "policies.automation.handle_time_factor", ("tehc",)),
    # --- broken YAML and duplicate keys ------------------------------------------------------------
    Case("broken-yaml-mapping-in-value", "  horizon: 1d", "  horizon: 1d: 2d  # <-", None, ("not valid YAML",)),
    Case("broken-yaml-tab-indent", "  horizon: 1d", "\thorizon: 1d  # <-", None, ("not valid YAML",)),
    Case("duplicate-key", "  warmup: 0s\n", "  warmup: 0s\n  horizon: 2d  # <-\n", None, ("`horizon`", "twice")),
    Case("duplicate-key-in-contact", "      priority: 2\n", "      priority: 2\n      priority: 3  # <-\n",
         None, ("`priority`", "twice")),
    # --- weekly tables -------------------------------------------------------------------------------
    Case("weekly-wrong-number-of-slots", RATE, "        weekly:\n          interval: 6h\n          mon-fri: [1, 2, 3]  # <-",
         f"{CONTACT}.arrivals.weekly.mon-fri", ("expected 4", "6h")),
    Case("weekly-too-many-slots", RATE, "        weekly:\n          interval: 12h\n          all: [1, 2, 3]  # <-",
         f"{CONTACT}.arrivals.weekly.all", ("expected 2", "12h")),
    Case("weekly-interval-not-dividing-day", RATE, "        weekly:\n          interval: 7h  # <-\n          all: [1, 2, 3]",
         f"{CONTACT}.arrivals.weekly.interval", ("does not divide a day",)),
    Case("weekly-period-ends-before-start", RATE, '        weekly:\n          all: {"12:00-08:00": 10/h}  # <-',
         f"{CONTACT}.arrivals.weekly.all", ("split overnight",)),
    Case("weekly-periods-overlap", RATE, '        weekly:\n          all: {"08:00-12:00": 10/h, "11:00-14:00": 5/h}  # <-',
         f"{CONTACT}.arrivals.weekly.all", ("overlaps",)),
    Case("weekly-weekday-twice", RATE,
         '        weekly:\n          mon-fri: {"08:00-12:00": 10/h}\n          fri: {"08:00-12:00": 5/h}  # <-',
         f"{CONTACT}.arrivals.weekly.fri", ("two keys",)),
    Case("weekly-unknown-weekday", RATE, '        weekly:\n          mon-fry: {"08:00-12:00": 10/h}  # <-',
         f"{CONTACT}.arrivals.weekly.mon-fry", ("mon-fry",)),
    # --- the ticket lifecycle: escalation, repeats, channels, tiers, SLAs, business hours -------------
    Case("escalate-to-nowhere", *after_patience(
        "      resolution: {first_contact: 0.8, escalate_to: nowhere,  # <-\n"
        "                   escalated_handle_time: {dist: exponential, mean: 1h}}"),
         f"{CONTACT}.resolution.escalate_to", ("nowhere", "no queue or agent group", "l1")),
    Case("first-contact-above-one", *after_patience(
        "      resolution: {first_contact: 1.2, escalate_to: l1,  # <-\n"
        "                   escalated_handle_time: {dist: exponential, mean: 1h}}"),
         f"{CONTACT}.resolution.first_contact", ("between 0 and 1", "1.2")),
    Case("escalation-without-handle-time", *after_patience(
        "      resolution: {first_contact: 0.8, escalate_to: l1}  # <-"),
         f"{CONTACT}.resolution", ("escalated_handle_time",)),
    Case("escalation-without-target", *after_patience("      resolution: {first_contact: 0.8}  # <-"),
         f"{CONTACT}.resolution.first_contact", ("escalate_to",)),
    Case("repeat-probability-above-one",
         *after_patience("      repeat: {probability: 1.5, delay: {dist: exponential, mean: 2d}}  # <-"),
         f"{CONTACT}.repeat.probability", ("between 0 and 1", "1.5")),
    Case("repeat-probability-one",
         *after_patience("      repeat: {probability: 1, delay: {dist: exponential, mean: 2d}}  # <-"),
         f"{CONTACT}.repeat.probability", ("for ever", "less than 1")),
    Case("email-with-patience", "      priority: 2\n", "      priority: 2\n      channel: email\n",
         f"{CONTACT}.patience", ("email", "remove `patience`"), mark=PATIENCE.rstrip("\n")),
    Case("unknown-channel", "      priority: 2\n", "      priority: 2\n      channel: fax  # <-\n",
         f"{CONTACT}.channel", ("fax", "phone, email, chat")),
    Case("concurrency-zero", "      shrinkage: 0.0", "      shrinkage: 0.0\n      concurrency: 0  # <-",
         f"{GROUP}.concurrency", ("≥ 1",)),
    Case("concurrency-on-a-group-without-chats", "      shrinkage: 0.0", "      shrinkage: 0.0\n      concurrency: 3  # <-",
         f"{GROUP}.concurrency", ("takes no chats", "chat skill")),
    Case("automation-cost-without-types", *with_policies("  automation: {cost_per_contact: 0.5}  # <-"),
         "policies.automation.cost_per_contact", ("name some",)),
    Case("breaks-of-one-agent-overlap", SHIFT,
         '        - days: all\n          start: "08:00"\n          end: "16:00"\n          agents: 6\n'
         '          breaks:  # <-\n            - {window: "09:00-11:00", length: 15min}\n'
         '            - {window: "10:00-12:00", length: 60min}\n',
         f"{GROUP}.shifts.0.breaks", ("overlap",)),
    Case("phone-concurrency-above-one", "      shrinkage: 0.0",
         "      shrinkage: 0.0\n      concurrency: {chat: 3, phone: 2}  # <-",
         f"{GROUP}.concurrency", ("takes the agent whole", "phone: 1")),
    Case("priority-mix-shares-above-one", *after_patience(
        "      priority_mix: {vip: {share: 0.7, priority: 3}, gold: {share: 0.5, priority: 4}}  # <-"),
         f"{CONTACT}.priority_mix", ("more than 1",)),
    Case("priority-mix-tier-same-priority", *after_patience(
        "      priority_mix: {vip: {share: 0.1, priority: 2}}  # <-"),
         f"{CONTACT}.priority_mix", ("own priority",)),
    Case("sla-unknown-tier", *after_patience(
        "      priority_mix: {vip: {share: 0.1, priority: 3}}\n"
        "      sla: {vpi: {resolve_within: 4h}, default: {resolve_within: 8h}}  # <-"),
         f"{CONTACT}.sla.vpi", ("unknown key `vpi`", "did you mean `vip`?")),
    Case("sla-unknown-clock", *after_patience("      sla: {resolve_within: 8h, clock: office}  # <-"),
         f"{CONTACT}.sla.clock", ("business", "wall")),
    Case("escalated-handle-time-without-target", *after_patience(
        "      resolution: {first_contact: 1.0, escalated_handle_time: {dist: exponential, mean: 1h}}  # <-"),
         f"{CONTACT}.resolution.escalated_handle_time", ("needs `escalate_to`",)),
    Case("sla-only-a-misspelt-tier", *after_patience(
        "      priority_mix: {vip: {share: 0.1, priority: 3}}\n"
        "      sla: {vpi: {resolve_within: 4h}}  # <-"),
         f"{CONTACT}.sla.vpi", ("unknown key `vpi`", "did you mean `vip`?")),
    Case("sla-business-clock-without-business-hours", *after_patience(
        "      sla: {resolve_within: 8h, clock: business}  # <-"),
         f"{CONTACT}.sla", ("business_hours",)),
    Case("calendar-start-with-utc-offset", "  start: 2024-01-01 00:00", "  start: 2024-01-01T00:00:00+01:00  # <-",
         "calendar.start", ("without a UTC offset",)),
    Case("business-hours-holiday-typo", "  interval: 1h\n",
         '  interval: 1h\n  business_hours: {mon-fri: "08:00-18:00", holiday: [2024-01-06]}  # <-\n',
         "calendar.business_hours.holiday", ("did you mean `holidays`?",)),
    Case("business-hours-impossible-date", "  interval: 1h\n",
         '  interval: 1h\n  business_hours: {mon-fri: "08:00-18:00", holidays: [2024-02-30]}  # <-\n',
         None, ("2024-02-30",)),
    Case("business-hours-do-not-parse", "  interval: 1h\n",
         '  interval: 1h\n  business_hours: {mon-fri: "8 to 6"}  # <-\n',
         "calendar.business_hours.mon-fri", ("HH:MM-HH:MM",)),
    Case("business-hours-unknown-day", "  interval: 1h\n",
         '  interval: 1h\n  business_hours: {mon-fry: "08:00-18:00"}  # <-\n',
         "calendar.business_hours.mon-fry", ("mon-fry",)),
    Case("business-hours-bad-holiday", "  interval: 1h\n",
         '  interval: 1h\n  business_hours: {mon-fri: "08:00-18:00", holidays: ["2024-13-01"]}  # <-\n',
         "calendar.business_hours.holidays", ("date",)),
    Case("callback-accept-probability-above-one",
         *with_policies("  callback: {offer_when_expected_wait_over: 2min, accept_probability: 1.5}  # <-"),
         "policies.callback.accept_probability", ("between 0 and 1", "1.5")),
    Case("callback-unknown-mode", *with_policies(
        "  callback: {offer_when_expected_wait_over: 2min, accept_probability: 0.5, call_back: tomorrow}  # <-"),
         "policies.callback.call_back", ("when_agent_free", "at_time")),
    Case("callback-missing-threshold", *with_policies("  callback: {accept_probability: 0.5}  # <-"),
         "policies.callback", ("`offer_when_expected_wait_over`", "required")),
    Case("overflow-to-unknown-group", *with_policies("  overflow: {after: 60s, to: l3}  # <-"),
         "policies.overflow.0.to", ("l3", "not an agent group", "l1")),
    Case("overflow-after-negative", *with_policies("  overflow: {after: -60s, to: l1}  # <-"),
         "policies.overflow.after", ("positive",)),
    Case("overflow-rule-in-a-list-for-unknown-type", *with_policies(
        "  overflow:\n    - {after: 60s, to: l1, applies_to: [tehc]}  # <-"),
         "policies.overflow.0.applies_to", ("tehc", "billing")),
    Case("self-service-attempt-share-above-one",
         *with_policies("  self_service: {applies_to: [billing], attempt_share: 1.5, containment: 0.5}  # <-"),
         "policies.self_service.attempt_share", ("between 0 and 1", "1.5")),
    Case("self-service-for-unknown-contact-type",
         *with_policies("  self_service: {applies_to: [tehc], attempt_share: 0.5, containment: 0.5}  # <-"),
         "policies.self_service.applies_to", ("tehc", "billing")),
    Case("auto-resolve-above-one", *with_policies("  automation: {auto_resolve: {billing: 1.2}}  # <-"),
         "policies.automation.auto_resolve", ("between 0 and 1",)),
    Case("after-call-work-negative", *after_patience("      after_call_work: {dist: constant, value: -30s}  # <-"),
         f"{CONTACT}.after_call_work", ("positive",)),
    Case("demand-profile-missing", "demand:\n", "demand:\n  profile: ../profiles/bank.yaml  # <-\n",
         "demand.profile", ("profile not found", "bank.yaml")),
    # --- numbers: finite and in a sane range where they are read (issue 13) --------------------------
    Case("lognormal-mu-nan", HANDLE, "      handle_time: {dist: lognormal, mu: .nan, sigma: 1}  # <-",
         f"{CONTACT}.handle_time", ("mu", "finite")),
    Case("lognormal-sigma-huge", HANDLE, "      handle_time: {dist: lognormal, mu: 1, sigma: 1000}  # <-",
         f"{CONTACT}.handle_time", ("sigma", "1000")),
    Case("gamma-cv-tiny", HANDLE, "      handle_time: {dist: gamma, mean: 4min, cv: 1e-200}  # <-",
         f"{CONTACT}.handle_time", ("cv", "0.001")),
    Case("lognormal-cv-huge", HANDLE, "      handle_time: {dist: lognormal, mean: 4min, cv: 1e300}  # <-",
         f"{CONTACT}.handle_time", ("cv", "100")),
    Case("erlang-k-10-to-the-400", HANDLE, "      handle_time: {dist: erlang, k: 1" + "0" * 400 + ", mean: 4min}  # <-",
         f"{CONTACT}.handle_time", ("erlang k", "1,000,000")),
    Case("mixture-weight-nan", HANDLE, "      handle_time: {dist: mixture, weights: [.nan, 1],  # <-\n"
         "                    components: [{dist: constant, value: 1}, {dist: constant, value: 2}]}",
         f"{CONTACT}.handle_time", ("weight", "finite")),
    Case("weibull-shape-tiny", HANDLE, "      handle_time: {dist: weibull, shape: 1e-300, scale: 4min}  # <-",
         f"{CONTACT}.handle_time", ("shape", "0.1")),
    Case("weibull-mean-past-ten-years", HANDLE, "      handle_time: {dist: weibull, shape: 0.1, scale: 4min}  # <-",
         f"{CONTACT}.handle_time", ("mean", "3650d")),
    Case("exponential-mean-huge", HANDLE, "      handle_time: {dist: exponential, mean: 1e308}  # <-",
         f"{CONTACT}.handle_time", ("3650d",)),
    Case("uniform-high-huge", HANDLE, "      handle_time: {dist: uniform, low: 0, high: 1e308}  # <-",
         f"{CONTACT}.handle_time", ("3650d",)),
    Case("duration-below-a-millisecond", HANDLE, "      handle_time: {dist: exponential, mean: 1e-300}  # <-",
         f"{CONTACT}.handle_time", ("1 ms",)),
    Case("cost-infinite", "      shrinkage: 0.0", "      shrinkage: 0.0\n      cost_per_hour: .inf  # <-",
         f"{GROUP}.cost_per_hour", ("inf",)),
    Case("demand-scale-nan", "demand:\n", "demand:\n  scale: .nan  # <-\n", "demand.scale", ("positive", "nan")),
    Case("priority-past-16-bits", "      priority: 2\n", "      priority: 100000  # <-\n",
         f"{CONTACT}.priority", ("32,767",)),
    Case("day-to-day-cv-tiny", RATE, RATE + "\n        day_to_day_cv: 1e-200  # <-",
         f"{CONTACT}.arrivals.day_to_day_cv", ("0.001",)),
    # --- sizes: refused before any work (issue 13) ----------------------------------------------------
    Case("horizon-a-thousand-years", "  horizon: 1d", "  horizon: 365000d  # <-", "calendar.horizon", ("3650d",)),
    Case("run-longer-than-five-years", "  horizon: 1d", "  horizon: 2000d  # <-", "calendar.horizon",
         ("2,000 days", "1827 days")),
    Case("interval-a-millisecond", "  interval: 1h", "  interval: 0.001  # <-", "calendar.interval",
         ("86.4 million", "100,000")),
    Case("rate-ten-to-the-twelve-per-second", RATE, "        rate: 1000000000000/s  # <-", f"{CONTACT}.arrivals.rate",
         ("100/s",)),
    Case("visits-past-thirty-million", RATE, "        rate: 100/s\n      scale: 4", CONTACT,
         ("34.6 million", "30 million"), mark="    - name: billing"),
    Case("agents-ten-to-the-nine", SHIFT, '        - {days: all, start: "00:00", end: "24:00", agents: 1000000000}  # <-\n',
         f"{GROUP}.shifts.0.agents", ("20,000",)),
    Case("replications-ten-to-the-nine", "  replications: 2", "  replications: 1000000000  # <-",
         "experiment.replications", ("10,000",)),
    Case("table-interval-a-millisecond", RATE, "        weekly:\n          interval: 0.001  # <-\n          all: [1]",
         f"{CONTACT}.arrivals.weekly.interval", ("1min",)),
    Case("repeats-without-end", *after_patience(
        "      repeat: {probability: 0.999999, delay: {dist: constant, value: 0.001}}"), CONTACT,
         ("720 million", "30 million"), mark="    - name: billing"),
    # --- the scenario side: impossible dates and names (issue 13) -------------------------------------
    Case("calendar-start-impossible-date", "  start: 2024-01-01 00:00", "  start: 2024-13-45  # <-",
         "calendar.start", ("2024-13-45",)),
    Case("holiday-impossible-date", "  interval: 1h\n",
         '  interval: 1h\n  business_hours: {mon-fri: "08:00-18:00", holidays: [2024-13-45]}  # <-\n',
         "calendar.business_hours.holidays", ("2024-13-45",)),
    Case("contact-named-null", "    - name: billing\n", "    - name: ~  # <-\n", f"demand.contacts.0.name",
         ("a name", "null")),
    Case("escalate-to-null", *after_patience(
        "      resolution: {first_contact: 0.8, escalate_to: ~,  # <-\n"
        "                   escalated_handle_time: {dist: exponential, mean: 1h}}"),
         f"{CONTACT}.resolution.escalate_to", ("a name", "null")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_value_is_refused_naming_file_line_and_key(tmp_path, case):
    text = case.text()
    path = write(tmp_path, text)
    error = load_error(path)
    assert_points_at(error, path, marked_line(text), case.key_path)
    for fragment in case.says:
        assert fragment.lower() in str(error).lower(), f"{fragment!r} not in: {error}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_cli_refuses_bad_value_with_exit_2_and_no_traceback(tmp_path, case):
    text = case.text()
    path = write(tmp_path, text)
    out = tmp_path / "results"
    result = invoke("run", path, "--out", out)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error:"), result.stderr
    assert f"{path.name}:{marked_line(text)}:" in result.stderr
    assert no_traceback(result), result.output
    assert result.stdout == ""
    assert not out.exists(), "nothing may be written (or run) for a scenario that does not load"


def test_the_unedited_tiny_scenario_is_valid(tmp_path):
    """Guard for the cases above: each one fails because of its edit, not because the base is wrong."""
    scenario = load_scenario(write(tmp_path, TINY))
    assert scenario.model.contact_names == ("billing",)
    assert scenario.experiment.replications == 2


# --- a break that does not fit its shift ---------------------------------------------------------------

def test_break_that_does_not_fit_its_shift_points_at_the_break(tmp_path):
    text = edit(TINY, SHIFT, BLOCK_SHIFT + "          breaks: [{after: 23h, length: 2h}]  # <-\n")
    path = write(tmp_path, text)
    error = load_error(path)
    assert "does not fit" in error.message
    assert error.path.startswith(f"{GROUP}.shifts") and error.path.endswith("breaks"), error.path
    assert_points_at(error, path, marked_line(text))


def test_break_that_does_not_fit_an_overnight_shift(tmp_path):
    text = edit(TINY, SHIFT, '        - {days: all, start: "22:00", end: "06:00", agents: 3,\n'
                             '           breaks: [{after: 465min, length: 30min}]}  # <-\n')
    path = write(tmp_path, text)
    error = load_error(path)
    assert "does not fit" in error.message and "8 h" in error.message
    assert same_file(error.file, path)


def test_break_that_just_fits_an_overnight_shift_is_valid(tmp_path):
    text = edit(TINY, SHIFT, '        - {days: all, start: "22:00", end: "06:00", agents: 3,\n'
                             '           breaks: [{after: 450min, length: 30min}]}\n')
    shift = load_scenario(write(tmp_path, text)).model.groups[0].shifts[0]
    assert shift.length_s == 8 * 3600 and shift.breaks[0].after_s == 450 * 60


# --- overnight shifts are valid -------------------------------------------------------------------------

def _agents_by_hour(scenario, replications=2):
    results = run_experiment(scenario.model, replications, scenario.experiment.seed)
    rows = results.intervals[(results.intervals.contact_type == "all") & (results.intervals.replication == 0)]
    return rows.set_index(rows.interval_start.astype(str))


def test_overnight_shift_runs_and_covers_the_night(tmp_path):
    text = edit(TINY, SHIFT, '        - {days: all, start: "22:00", end: "06:00", agents: 3}\n')
    scenario = load_scenario(write(tmp_path, text))
    shift = scenario.model.groups[0].shifts[0]
    assert (shift.start_s, shift.end_s, shift.length_s) == (22 * 3600, 6 * 3600, 8 * 3600)
    hours = _agents_by_hour(scenario)
    assert len(hours) == 24
    for hour in (0, 1, 2, 3, 4, 5, 22, 23):
        row = hours.loc[f"2024-01-01 {hour:02d}:00:00"]
        assert row.agents_on_shift_mean == pytest.approx(3.0), hour
        assert row.answered > 0, hour
    for hour in range(7, 21):
        row = hours.loc[f"2024-01-01 {hour:02d}:00:00"]
        assert row.agents_on_shift_mean == 0.0, hour
        assert row.answered == 0, hour


def test_overnight_shift_belongs_to_the_day_it_starts(tmp_path):
    """`days: mon` with 22:00-06:00 works Monday night into Tuesday, not Sunday night into Monday."""
    text = edit(TINY, SHIFT, '        - {days: mon, start: "22:00", end: "06:00", agents: 2}\n')
    text = edit(text, "  horizon: 1d", "  horizon: 2d")
    hours = _agents_by_hour(load_scenario(write(tmp_path, text)))
    assert hours.loc["2024-01-01 02:00:00"].agents_on_shift_mean == 0.0  # Monday 02:00: Sunday's night is off
    assert hours.loc["2024-01-01 23:00:00"].agents_on_shift_mean == pytest.approx(2.0)
    assert hours.loc["2024-01-02 03:00:00"].agents_on_shift_mean == pytest.approx(2.0)
    assert hours.loc["2024-01-02 12:00:00"].agents_on_shift_mean == 0.0


# --- files --------------------------------------------------------------------------------------------------

def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.yaml"
    error = load_error(missing)
    assert "no such file" in str(error) and "nope.yaml" in str(error)


def test_cli_missing_file_exits_2(tmp_path):
    result = invoke("run", tmp_path / "nope.yaml", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith("error:") and "nope.yaml" in result.stderr
    assert no_traceback(result)


def test_missing_extends_target_is_named(tmp_path):
    path = write(tmp_path, "extends: nothere.yaml\nname: child\n")
    error = load_error(path)
    assert "nothere.yaml" in str(error)


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "plain text\n"], ids=["empty", "list", "scalar"])
def test_file_that_is_not_a_mapping(tmp_path, text):
    path = write(tmp_path, text)
    error = load_error(path)
    assert same_file(error.file, path) and "mapping" in error.message


def test_missing_required_section_is_named(tmp_path):
    text = TINY.split("demand:\n")[0] + "staffing:\n" + TINY.split("staffing:\n")[1]
    path = write(tmp_path, text)
    error = load_error(path)
    assert "`demand`" in str(error) and "required" in str(error)
    assert same_file(error.file, path)


# --- --set mistakes -----------------------------------------------------------------------------------------

def test_set_with_a_typo_suggests_the_key(tmp_path):
    error = load_error(write(tmp_path, TINY), ("calendar.horizn=2d",))
    assert error.path == "calendar.horizn"
    assert "did you mean `horizon`?" in str(error) and "--set" in str(error)


def test_set_naming_a_missing_list_item(tmp_path):
    error = load_error(write(tmp_path, TINY), ("demand.contacts.tech.priority=3",))
    assert "tech" in str(error) and "billing" in str(error)


@pytest.mark.parametrize("assignment", ["calendar.horizon", "calendar.horizon=-1d", "demand.contacts.7.priority=1",
                                        "demand.contacts.billing.handle_time={dist: exponential", "=3"])
def test_cli_bad_set_exits_2(tmp_path, assignment):
    result = invoke("run", write(tmp_path, TINY), "--set", assignment, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr.startswith("error:")
    assert no_traceback(result)
    assert not (tmp_path / "out").exists()


# --- end to end: the installed console script -----------------------------------------------------------

def test_console_script_bad_input_exits_2_without_traceback(tmp_path):
    text = edit(TINY, RATE, "        rate: 30  # <-")
    path = write(tmp_path, text)
    done = subprocess.run(console_script() + ["run", str(path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("error:")
    assert f"{path.name}:{marked_line(text)}:" in done.stderr and "`demand.contacts.billing.arrivals.rate`" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout == ""


@pytest.mark.parametrize("policy, says", [
    ("policies.queue=first-come", "one of"),
    ("policies.queue={discipline: fifo, max_bypass: 5min}", "goes with priority-fifo"),
    ("policies.queue={max_bypass: 5min}", "give the `discipline`"),
    ("policies.queue={discipline: priority-fifo, max_bypass: soon}", "duration"),
    ("policies.queue={discipline: priority-fifo, cap: 5min}", "unknown key"),
    ("staffing.groups.l1.queue=lottery", "one of"),
    ("staffing.groups.l1.proficiency=[{handle_time_factor: 1.4}]", "`share` is required"),
    ("staffing.groups.l1.proficiency=[{share: 0.7}, {share: 0.5}]", "more than 1"),
    ("staffing.groups.l1.proficiency={handle_time_factor: 0}", "positive"),
], ids=["unknown", "bypass-without-priority", "no-discipline", "bad-duration", "unknown-key", "group-unknown",
        "cohort-without-share", "shares-over-1", "zero-factor"])
def test_queue_policies_are_checked(tmp_path, policy, says):
    from .helpers import SMALL
    error = load_error(write(tmp_path, SMALL), (policy,))
    assert says in str(error)


def test_a_group_may_have_its_own_discipline(tmp_path):
    from .helpers import SMALL
    from scenarios.format.scenario import load_scenario
    scenario = load_scenario(write(tmp_path, SMALL), ("policies.queue={discipline: priority-fifo, max_bypass: 10min}",
                                                      "staffing.groups.l2.queue=sla-deadline"))
    l1, l2 = scenario.model.groups
    assert l1.queue_policy(scenario.model.policies) == ("priority-fifo", 600.0)
    assert l2.queue_policy(scenario.model.policies) == ("sla-deadline", None)

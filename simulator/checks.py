"""Checks a model must pass before it runs: values no single field can validate, and cross-references.

The scenario loader checks each key as it reads it (with file and line); these checks also guard
models built in Python, and each error names the key path so the loader can find its line. The
model's size (workload.py) is checked against limits.py before anything that grows with it.
"""
from __future__ import annotations

import dataclasses
import math
from collections import Counter

import numpy as np

from . import limits
from .config import (CALL_BACK_MODES, CHANNELS, QUEUE_POLICIES, ROUTING_POLICIES, SLA_CLOCKS, AgentGroup, ConfigError,
                     ContactType, ModelConfig, Resolution)
from .distributions import Distribution, check_distribution
from .limits import readable
from .workload import estimate


def check_model(model: ModelConfig) -> None:
    """Names unique, every contact type and escalation queue served, breaks in shifts, sane lifecycles."""
    if not model.contacts:
        raise ConfigError("the scenario has no contact types", "demand.contacts")
    if not model.groups:
        raise ConfigError("the scenario has no agent groups", "staffing.groups")
    _check_count(len(model.contacts), limits.MAX_CONTACT_TYPES, "contact types (numbered in 16 bits)",
                 "demand.contacts")
    _check_unique([c.name for c in model.contacts], "demand.contacts")
    _check_unique([g.name for g in model.groups], "staffing.groups")
    _check_unique([q.name for q in model.queues], "staffing.queues")
    if model.policies.queue not in QUEUE_POLICIES or model.policies.routing not in ROUTING_POLICIES:
        raise ConfigError(f"unknown policy (queue: {', '.join(QUEUE_POLICIES)}; routing: "
                          f"{', '.join(ROUTING_POLICIES)})", "policies")
    for group in model.groups:
        if group.discipline is not None and group.discipline not in QUEUE_POLICIES:
            raise ConfigError(f"unknown queue discipline {group.discipline!r} (one of {', '.join(QUEUE_POLICIES)})",
                              f"staffing.groups.{group.name}.queue")
    for group in model.groups:
        if group.max_bypass_s is not None and group.discipline is None:
            raise ConfigError("a group's max_bypass goes with its own `queue` discipline",
                              f"staffing.groups.{group.name}.queue")
    for (name, bypass), where in [((model.policies.queue, model.policies.max_bypass_s), "policies.queue")] + [
            (group.queue_policy(model.policies), f"staffing.groups.{group.name}.queue") for group in model.groups
            if group.discipline is not None]:
        if bypass is not None and not (bypass > 0 and bypass < float("inf")):
            raise ConfigError(f"max_bypass must be a positive duration, got {bypass!r}", where)
        if bypass is not None and name != "priority-fifo":
            raise ConfigError(f"max_bypass caps how long priority passes a visit over: it goes with "
                              f"priority-fifo, not {name}", where)
    if not model.demand_scale > 0:
        raise ConfigError("the demand scale must be positive", "demand.scale")
    _check_finite(model, "")
    _check_calendar(model)
    for contact in model.contacts:
        _check_contact(contact, f"demand.contacts.{contact.name}")
        if not contact.scale > 0:
            raise ConfigError("a contact type's scale must be positive", f"demand.contacts.{contact.name}.scale")
    for queue in model.queues:
        _check_channel(queue.channel, f"staffing.queues.{queue.name}.channel")
        _check_resolution(queue.resolution, f"staffing.queues.{queue.name}.resolution")
    check_size(model)
    for group in model.groups:
        _check_group(group)
    _check_levers(model)
    if model.network.max_stages > 127:  # builds (and so checks) the network: targets exist, no loops, all served
        raise ConfigError("an escalation path has more than 127 stages (counted in 8 bits)", "staffing.groups")
    _check_chat_groups(model)


INFINITE_ALLOWED = ("answer_within_s", "resolve_within_s")  # an SLA without that target


def _check_finite(value, path: str) -> None:
    """Every number of the model finite (a file's are checked as read; this guards models built in
    Python): a NaN rate or cost would run and report nonsense. Distributions are checked whole."""
    if isinstance(value, float) and not math.isfinite(value) and not path.endswith(INFINITE_ALLOWED):
        raise ConfigError(f"`{path}` must be a finite number, got {value!r}", path)
    if dataclasses.is_dataclass(value) and not isinstance(value, Distribution):
        for field in dataclasses.fields(value):
            _check_finite(getattr(value, field.name), f"{path}.{field.name}" if path else field.name)
    elif isinstance(value, (tuple, list)) and all(type(item) in (int, float) for item in value):  # a table row
        bad = np.flatnonzero(~np.isfinite(np.asarray(value, dtype=float)))
        if len(bad):
            raise ConfigError(f"`{path}.{bad[0]}` must be a finite number, got {value[bad[0]]!r}", path)
    elif isinstance(value, (tuple, list)):
        for index, item in enumerate(value):
            _check_finite(item, f"{path}.{index}")


def _check_calendar(model: ModelConfig) -> None:
    """Finite times, and a run short enough to hold in memory (limits.MAX_RUN_S)."""
    calendar = model.calendar
    for key in ("horizon", "warmup", "interval", "cooldown"):
        value = getattr(calendar, f"{key}_s")
        if not (math.isfinite(value) and value >= 0) or (key in ("horizon", "interval") and value <= 0):
            raise ConfigError(f"{key} must be a finite positive duration, got {value!r}", f"calendar.{key}")
    if calendar.run_end_s > limits.MAX_RUN_S:
        raise ConfigError(f"warm-up, horizon and cool-down add up to {calendar.run_end_s / 86400:,.0f} days; a run is at "
                          f"most {limits.MAX_RUN_S / 86400:.0f} days (five years): for a longer view, run a "
                          f"representative period with more replications", "calendar.horizon")


def check_size(model: ModelConfig) -> None:
    """One replication's workload (workload.py) within limits.py, before anything grows with it."""
    work = estimate(model)
    for count, limit, what, key, fix in (
            (work.agents, limits.MAX_AGENTS, "agents (seats over all groups)", "staffing.groups", "fewer agents"),
            (work.agent_shifts, limits.MAX_AGENT_SHIFTS, "rostered agent-days", "staffing.groups",
             "fewer agents or a shorter run"),
            (work.intervals, limits.MAX_INTERVALS, "reporting intervals", "calendar.interval",
             "a longer interval or a shorter run"),
            (work.table_rows, limits.MAX_TABLE_ROWS, "interval rows (intervals × (contact types + groups + 1))",
             "calendar.interval", "a longer interval, a shorter run or fewer types"),
            (work.visits, limits.MAX_CONTACTS, "visits (rates × run length, with retrials as if every caller "
             f"hung up, escalations and repeats; most of them {work.busiest})", f"demand.contacts.{work.busiest}",
             "lower rates or a shorter run")):
        if not count <= limit:
            raise ConfigError(f"one replication would hold about {readable(count)} {what}; at most "
                              f"{readable(limit)} fit in memory: {fix}", key)


def _check_count(count: int, limit: int, what: str, path: str) -> None:
    if count > limit:
        raise ConfigError(f"{count:,} {what}; at most {limit:,}", path)


def _check_distributions(contact: ContactType, path: str) -> None:
    """Every distribution with a finite mean and cv in range (models built in Python included)."""
    named = [("handle_time", contact.handle_time), ("patience", contact.patience),
             ("after_call_work", contact.after_call_work)]
    named += [("retrial.delay", contact.retrial.delay)] if contact.retrial else []
    named += [("repeat.delay", contact.repeat.delay)] if contact.repeat else []
    for key, dist in named:
        _check_distribution(dist, f"{path}.{key}")


def _check_distribution(dist, path: str) -> None:
    try:
        if dist is not None:
            check_distribution(dist)
    except ValueError as problem:
        raise ConfigError(str(problem), path) from None


def _check_chat_groups(model: ModelConfig) -> None:
    """`concurrency` and `chat_slowdown` are about chats: on a group that takes none they would do nothing."""
    network = model.network
    for group, work in zip(model.groups, network.serves):
        takes_chats = any(network.queue_channels[queue] == "chat" for queue, _ in work)
        if not takes_chats and (group.concurrency > 1 or group.chat_slowdown > 0):
            key = "concurrency" if group.concurrency > 1 else "chat_slowdown"
            raise ConfigError(f"group {group.name!r} takes no chats; `{key}` is about chats (a call or an email "
                              f"takes an agent whole): remove it or give the group a chat skill",
                              f"staffing.groups.{group.name}.{key}")


def _check_levers(model: ModelConfig) -> None:
    """Self-service, automation and callback name contact types that exist, with values in range."""
    known = set(model.contact_names)
    portal, automation = model.policies.self_service, model.policies.automation
    named = []
    if portal is not None:
        named.append(("policies.self_service.applies_to", portal.applies_to))
        for key in ("attempt_share", "containment"):
            _probability(getattr(portal, key), f"policies.self_service.{key}")
        if not portal.leak_handle_time_factor > 0:
            raise ConfigError("the leak factor must be positive", "policies.self_service.leak_handle_time_factor")
    if automation is not None:
        named.append(("policies.automation.handle_time_factor", [n for n, _ in automation.handle_time_factor]))
        named.append(("policies.automation.auto_resolve", [n for n, _ in automation.auto_resolve]))
        for name, share in automation.auto_resolve:
            _probability(share, "policies.automation.auto_resolve")
        if any(not factor > 0 for _, factor in automation.handle_time_factor):
            raise ConfigError("handle-time factors must be positive", "policies.automation.handle_time_factor")
        if automation.cost_per_contact and not automation.types:
            raise ConfigError("cost_per_contact applies to the contact types automation names; name some in "
                              "handle_time_factor or auto_resolve", "policies.automation.cost_per_contact")
    callback = model.policies.callback
    if callback is not None:
        named.append(("policies.callback.applies_to", callback.applies_to))
        silent = [c.name for c in model.contacts if c.name in callback.applies_to and c.channel != "phone"]
        if silent:
            raise ConfigError(f"callback is offered on the phone only; {silent} are not phone contact types",
                              "policies.callback.applies_to")
        for key in ("accept_probability", "reach_probability"):
            _probability(getattr(callback, key), f"policies.callback.{key}")
        if callback.call_back not in CALL_BACK_MODES:
            raise ConfigError(f"call_back must be one of {', '.join(CALL_BACK_MODES)}", "policies.callback.call_back")
    groups = {group.name for group in model.groups}
    for index, rule in enumerate(model.policies.overflow):
        path = f"policies.overflow.{index}"  # the scenario loader finds item 0 of a single-rule mapping
        named.append((f"{path}.applies_to", rule.applies_to))
        if rule.to not in groups:
            raise ConfigError(f"overflow to {rule.to!r}, which is not an agent group (groups: "
                              f"{', '.join(sorted(groups))})", f"{path}.to")
        if not rule.after_s >= 0:
            raise ConfigError("overflow `after` must be zero or a positive duration", f"{path}.after")
    for path, names in named:
        unknown = sorted(set(names) - known)
        if unknown:
            raise ConfigError(f"{path.rsplit('.', 1)[1]} names unknown contact types {unknown}; known: "
                              f"{', '.join(model.contact_names)}", path)


def _check_unique(names: list[str], path: str) -> None:
    seen = {name for name, times in Counter(names).items() if times > 1}  # linear: a list may be long
    if seen:
        raise ConfigError(f"names must be unique, {sorted(seen)} appear more than once", path)


def _check_channel(channel: str, path: str) -> None:
    if channel not in CHANNELS:
        raise ConfigError(f"channel {channel!r} is not modelled (use one of {', '.join(CHANNELS)})", path)


def _check_contact(contact: ContactType, path: str) -> None:
    _check_channel(contact.channel, f"{path}.channel")
    _check_distributions(contact, path)
    escalated = contact.resolution.escalated_priority if contact.resolution else None
    priorities = [tier.priority for tier in contact.tiers] + ([escalated] if escalated is not None else [])
    if not all(0 <= priority <= limits.MAX_PRIORITY for priority in priorities) or len(contact.tiers) > 127:
        raise ConfigError(f"priorities run from 0 to {limits.MAX_PRIORITY} (16 bits), with at most 126 tiers",
                          f"{path}.priority")
    if contact.channel == "email" and (contact.patience is not None or contact.retrial is not None):
        raise ConfigError("email contacts wait until answered: remove `patience` and `retrial`", f"{path}.patience")
    if contact.retrial is not None:
        _probability(contact.retrial.probability, f"{path}.retrial.probability")
        if contact.patience is None:
            raise ConfigError("retrial needs `patience`: only callers who abandon can call again", f"{path}.retrial")
    _check_resolution(contact.resolution, f"{path}.resolution")
    if contact.repeat is not None:
        probability = _probability(contact.repeat.probability, f"{path}.repeat.probability")
        if probability >= 1:
            raise ConfigError("a repeat probability of 1 means every contact comes back for ever; use less than 1",
                              f"{path}.repeat.probability")
        if contact.repeat.clock not in SLA_CLOCKS:
            raise ConfigError(f"repeat clock must be one of {', '.join(SLA_CLOCKS)}", f"{path}.repeat.clock")
    _check_tiers(contact, path)


def _check_resolution(resolution: Resolution | None, path: str) -> None:
    if resolution is None:
        return
    _probability(resolution.first_contact, f"{path}.first_contact")
    _check_distribution(resolution.escalated_handle_time, f"{path}.escalated_handle_time")
    if resolution.escalate_to is None and resolution.first_contact < 1:
        raise ConfigError("`first_contact` below 1 needs `escalate_to`: where does the rest go?", f"{path}.escalate_to")
    if resolution.escalate_to is not None and resolution.escalated_handle_time is None:
        raise ConfigError("escalated work needs `escalated_handle_time`", f"{path}.escalated_handle_time")
    if resolution.escalate_to is None and (resolution.escalated_handle_time or resolution.escalated_priority):
        raise ConfigError("`escalated_handle_time` and `escalated_priority` need `escalate_to`", f"{path}")


def _check_tiers(contact: ContactType, path: str) -> None:
    shares = [tier.share for tier in contact.priority_mix]
    for tier in contact.priority_mix:
        _probability(tier.share, f"{path}.priority_mix.{tier.name}.share")
    if sum(shares) > 1 + 1e-9:
        raise ConfigError(f"priority_mix shares add up to {sum(shares):g}, more than 1", f"{path}.priority_mix")
    names = [tier.name for tier in contact.tiers]
    priorities = [tier.priority for tier in contact.tiers]
    _check_unique(names, f"{path}.priority_mix")
    if len(set(priorities)) != len(priorities):
        raise ConfigError("each priority tier needs its own priority (different from the type's `priority` too)",
                          f"{path}.priority_mix")
    for tier in contact.tiers:
        sla = tier.sla
        if sla is None:
            continue
        if sla.clock not in SLA_CLOCKS:
            raise ConfigError(f"SLA clock must be one of {', '.join(SLA_CLOCKS)}", f"{path}.sla.clock")
        if math.isinf(sla.answer_within_s) and math.isinf(sla.resolve_within_s):
            raise ConfigError("an SLA needs `answer_within` or `resolve_within`", f"{path}.sla")


def _check_group(group: AgentGroup) -> None:
    path = f"staffing.groups.{group.name}"
    if not group.shifts and group.agents_per_slot is None:
        raise ConfigError(f"group {group.name!r} has neither shifts nor agents per interval", path)
    if group.concurrency < 1:
        raise ConfigError("concurrency must be at least 1", f"{path}.concurrency")
    if not group.chat_slowdown >= 0:
        raise ConfigError("chat_slowdown must be zero or positive", f"{path}.chat_slowdown")
    _check_resolution(group.resolution, f"{path}.resolution")
    _check_unique([shift.name for shift in group.shifts if shift.name], f"{path}.shifts")
    for index, shift in enumerate(group.shifts):
        for pause in shift.breaks:
            _check_break(pause, shift, f"{path}.shifts.{index}.breaks")
        _check_breaks_apart(shift, f"{path}.shifts.{index}.breaks")


def _check_breaks_apart(shift, path: str) -> None:
    """No agent's breaks may overlap (the later one would be silently lost while on the first)."""
    for seat in range(shift.agents if len(shift.breaks) > 1 else 0):
        spans = sorted((pause.start_for(seat, shift.agents), pause.length_s) for pause in shift.breaks)
        for (start, length), (following, _) in zip(spans, spans[1:]):
            if following < start + length:
                raise ConfigError(f"two breaks of the same agent overlap ({start / 3600:g} h and {following / 3600:g} "
                                  f"h after the shift starts); move a break or its window", path)


def _check_break(pause, shift, path: str) -> None:
    if pause.window_s is not None:
        first, last = pause.window_s
        if not 0 <= first < last <= shift.length_s:
            raise ConfigError(f"the break window ({first / 3600:g} h to {last / 3600:g} h after the shift starts) "
                              f"is not inside the {shift.length_s / 3600:g} h shift", path)
        if pause.length_s > last - first:
            raise ConfigError(f"a {pause.length_s / 60:g} min break does not fit in its "
                              f"{(last - first) / 60:g} min window", path)
    elif pause.after_s + pause.length_s > shift.length_s:
        raise ConfigError(f"a break {pause.after_s / 60:g} min after the start lasting {pause.length_s / 60:g} min "
                          f"does not fit in a {shift.length_s / 3600:g} h shift", path)


def _probability(value: float, path: str) -> float:
    if not 0 <= value <= 1:
        raise ConfigError(f"a probability must be between 0 and 1, got {value!r}", path)
    return value

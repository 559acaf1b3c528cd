"""The queue network a model implies: which queues exist, who serves them, and where work goes next.

Queues are stations separate from contact types (as in Ciw's `network.py`): one per contact type
(first contact), one per named queue (`staffing.queues`), and one per agent group that some
`escalate_to` names (work escalated to the group itself). Each contact type's path is a fixed
chain of stages: stage 0 in its own queue, then, while a handling escalates, the queue its
resolution names. Chains never loop, so a contact has at most `len(chain)` stages.
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import ConfigError, ContactType, ModelConfig, Resolution
from .distributions import Distribution


@dataclass(frozen=True)
class Stage:
    """One step of a contact type's path: where it waits, how long the handling takes, whether it
    resolves there (`first_contact`), and the priority it waits at (None: the contact's own)."""

    queue: int
    handle_time: Distribution | None  # None at stage 0: the contact type's own handle time
    first_contact: float
    priority: int | None


@dataclass(frozen=True)
class Network:
    queue_names: tuple[str, ...]
    queue_channels: tuple[str, ...]
    paths: tuple[tuple[Stage, ...], ...]  # per contact type
    served_by: tuple[tuple[tuple[int, int], ...], ...]  # per queue: (preference, group), most preferred first
    serves: tuple[tuple[tuple[int, int], ...], ...]  # per group: (queue, preference)

    @property
    def max_stages(self) -> int:
        return max(len(path) for path in self.paths)

    def type_queue(self, contact_index: int) -> int:
        return self.paths[contact_index][0].queue


def build_network(model: ModelConfig) -> Network:
    names, channels, resolutions, where = _queues(model)
    index = {name: number for number, name in enumerate(names)}
    serves = tuple(_served_queues(model, g, group, index) for g, group in enumerate(model.groups))
    served_by = [[] for _ in names]
    for g, work in enumerate(serves):
        for queue, preference in work:
            served_by[queue].append((preference, g))
    paths = tuple(_path(contact, k, index, resolutions, where) for k, contact in enumerate(model.contacts))
    network = Network(tuple(names), tuple(channels), paths, tuple(tuple(sorted(s)) for s in served_by), serves)
    _check_every_stage_served(model, network)
    _check_group_resolutions_apply(model, set(names[len(model.contacts) + len(model.queues):]))
    return network


def _queues(model: ModelConfig):
    """Names, channels and the resolution of the work in each queue, and where that resolution is written."""
    names = [c.name for c in model.contacts]
    channels = [c.channel for c in model.contacts]
    resolutions = [c.resolution for c in model.contacts]
    where = [f"demand.contacts.{c.name}" for c in model.contacts]
    for queue in model.queues:
        if queue.name in names:
            raise ConfigError(f"queue {queue.name!r} has the name of a contact type; give it its own name",
                              f"staffing.queues.{queue.name}")
        names.append(queue.name)
        channels.append(queue.channel)
        inherited, group = _serving_groups_resolution(model, queue.name)
        resolutions.append(queue.resolution or inherited)
        where.append(f"staffing.queues.{queue.name}" if queue.resolution or not group else f"staffing.groups.{group}")
    for group in _escalation_target_groups(model, set(names)):
        names.append(group.name)
        channels.append("email")
        resolutions.append(group.resolution)
        where.append(f"staffing.groups.{group.name}")
    return names, channels, resolutions, where


def _check_group_resolutions_apply(model: ModelConfig, targets: set[str]) -> None:
    """A group's `resolution` is for the escalated work in its own queue (or in a named queue it
    serves that has none); written where no such work exists it would be silently ignored."""
    inheriting = {queue.name for queue in model.queues if queue.resolution is None}
    for group in model.groups:
        if group.resolution is None or group.name in targets or inheriting & set(group.skill_map):
            continue
        raise ConfigError(f"`resolution` on group {group.name!r} decides what happens to work escalated to it, but "
                          f"nothing is escalated to {group.name!r} (or to a named queue it serves); for the "
                          f"contacts it answers first, put `resolution` on their contact types",
                          f"staffing.groups.{group.name}.resolution")


def _serving_groups_resolution(model: ModelConfig, queue: str) -> tuple[Resolution | None, str | None]:
    """A named queue without its own `resolution` takes the one of the group(s) serving it (and the
    name of a group that declares it)."""
    serving = [g for g in model.groups if queue in g.skill_map and g.resolution is not None]
    if len({g.resolution for g in serving}) > 1:
        raise ConfigError(f"groups serving queue {queue!r} have different `resolution`s; give the queue "
                          f"its own `resolution`", f"staffing.queues.{queue}")
    return (serving[0].resolution, serving[0].name) if serving else (None, None)


def _all_resolutions(model: ModelConfig):
    for contact in model.contacts:
        yield f"demand.contacts.{contact.name}.resolution", contact.resolution
    for queue in model.queues:
        yield f"staffing.queues.{queue.name}.resolution", queue.resolution
    for group in model.groups:
        yield f"staffing.groups.{group.name}.resolution", group.resolution


def _escalation_target_groups(model: ModelConfig, queue_names: set[str]):
    groups = {g.name: g for g in model.groups}
    targets = []
    for path, resolution in _all_resolutions(model):
        target = resolution.escalate_to if resolution else None
        if target in queue_names and target in groups:
            raise ConfigError(f"`escalate_to: {target}` is ambiguous: a group and a contact type or queue share "
                              f"that name; rename one", f"{path}.escalate_to")
        if target is None or target in queue_names:
            continue
        if target not in groups:
            known = sorted(queue_names | set(groups))
            raise ConfigError(f"`escalate_to: {target}` names no queue or agent group (known: {', '.join(known)})",
                              f"{path}.escalate_to")
        if groups[target] not in targets:
            targets.append(groups[target])
    return targets


def _served_queues(model, g: int, group, index: dict) -> tuple[tuple[int, int], ...]:
    """(queue, preference) the group serves: its skills, and its own queue first if it has one."""
    work = []
    if group.name in index and index[group.name] >= len(model.contacts) + len(model.queues):
        work.append((index[group.name], 1))
    for name, preference in group.skills:
        if name not in index:
            known = ", ".join(sorted(index))
            raise ConfigError(f"group {group.name!r} has a skill for {name!r}, which is not a contact type or "
                              f"queue (known: {known})", f"staffing.groups.{group.name}.skills")
        if all(queue != index[name] for queue, _ in work):
            work.append((index[name], preference))
    if not work:
        raise ConfigError(f"group {group.name!r} serves no queue: give it `skills`, or escalate work to it",
                          f"staffing.groups.{group.name}.skills")
    return tuple(work)


def _path(contact: ContactType, k: int, index: dict, resolutions: list, where: list) -> tuple[Stage, ...]:
    resolution = contact.resolution
    stages = [Stage(k, None, _first_contact(resolution), None)]
    visited = {k}
    while resolution is not None and resolution.escalate_to is not None:
        queue = index[resolution.escalate_to]
        if queue in visited:
            raise ConfigError(f"escalation from {contact.name!r} loops back to {resolution.escalate_to!r}; "
                              f"escalation must lead onwards", f"{where[stages[-1].queue]}.resolution.escalate_to")
        visited.add(queue)
        following = resolutions[queue]
        stages.append(Stage(queue, resolution.escalated_handle_time, _first_contact(following),
                            resolution.escalated_priority))
        resolution = following
    return tuple(stages)


def _first_contact(resolution: Resolution | None) -> float:
    return 1.0 if resolution is None or resolution.escalate_to is None else resolution.first_contact


def _check_every_stage_served(model: ModelConfig, network: Network) -> None:
    for contact, path in zip(model.contacts, network.paths):
        for stage in path:
            if not network.served_by[stage.queue]:
                name = network.queue_names[stage.queue]
                if stage.queue == path[0].queue:
                    raise ConfigError(f"contact type {name!r} has no agent group with a skill for it; "
                                      f"add `{name}: 1` to some group's skills", f"demand.contacts.{name}")
                raise ConfigError(f"queue {name!r} (escalations of {contact.name!r}) has no agent group serving "
                                  f"it; add `{name}: 1` to some group's skills", f"staffing.queues.{name}")

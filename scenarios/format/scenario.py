"""A scenario file read into something that runs: the model, the experiment settings, and provenance."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from simulator.config import ConfigError, ModelConfig
from simulator.limits import MAX_REPLICATIONS, MAX_SEED

from .contacts import build_contacts
from .merge import MISSING, deep_merge, load_with_extends
from .overrides import apply_override, profile_first
from .profiles import merge_profile
from .reader import Section, item_name
from .settings import build_calendar, build_kpi_settings, build_policies
from .staffing import build_staffing
from .values import whole_number
from .yamlfile import ScenarioError, parse_yaml

# Written into resolved configs for the record; accepted and ignored on load so those files re-run.
RECORD_KEYS = ("provenance", "resolved")


@dataclass(frozen=True)
class Experiment:
    replications: int = 30
    seed: int = 20240101


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    model: ModelConfig
    experiment: Experiment
    source: str
    document: dict = field(repr=False)  # the merged file (after extends and --set), for the record


def load_scenario(path, overrides=()) -> Scenario:
    """Read, merge `extends`, apply `--set key.path=value` overrides, validate, build. An override
    of `demand.profile` comes before the profile is merged, the others after (so they can address
    the profile's contact types by name). An override is `key.path=value` (from `--set`) or
    `(option, key.path=value)` naming the option it came from (`--vary`, `--alt NAME`)."""
    document = load_with_extends(Path(path))
    choose_profile, the_rest = profile_first(tuple(_labelled(item) for item in overrides))
    set_by: dict[str, str] = {}
    for option, assignment in choose_profile:
        set_by.update(dict.fromkeys(apply_override(document, assignment, option), f"{option} {assignment}"))
    document = merge_profile(document)
    for option, assignment in the_rest:
        set_by.update(dict.fromkeys(apply_override(document, assignment, option), f"{option} {assignment}"))
    try:
        return scenario_from_document(document, str(path))
    except ScenarioError as problem:
        raise _blame_override(problem, set_by) from None


def _labelled(override) -> tuple[str, str]:
    return ("--set", override) if isinstance(override, str) else tuple(override)


def _blame_override(problem: ScenarioError, set_by: dict[str, str]) -> ScenarioError:
    """An error at a key an override replaced whole (e.g. a section set to a number) is the override's,
    not the line of the file the replaced value came from; an error in a value an override changed
    part of says so."""
    if (problem.file or "").startswith("--"):
        return problem
    if problem.path in set_by:
        return ScenarioError(problem.message, set_by[problem.path], None, problem.path)
    inside = [source for path, source in set_by.items() if path.startswith(f"{problem.path}.")]
    if inside:  # the file's value, as an override changed it
        return ScenarioError(f"{problem.message} (as changed by {inside[-1]})", problem.file, problem.line,
                             problem.path)
    return problem


def scenario_from_text(text: str, source: str = "inline") -> Scenario:
    """A scenario written as YAML text (notebooks, tests): as a file would be, without `extends`;
    a profile path is taken relative to the working folder."""
    return scenario_from_document(merge_profile(deep_merge(MISSING, parse_yaml(text, source))), source)


def scenario_from_document(document: dict, source: str) -> Scenario:
    top = Section(document, "")
    name = top.take("name", item_name, Path(source).stem)
    description = top.take("description", str, "")
    calendar = build_calendar(top.section("calendar", default={}))
    policies = build_policies(top.section("policies", default={}))
    contacts, demand_scale = build_contacts(top.section("demand"), calendar)
    groups, queues = build_staffing(top.section("staffing"), calendar)
    kpis = build_kpi_settings(top.section("kpis", default={}))
    experiment = _experiment(top.section("experiment", default={}))
    top.done(known_elsewhere=RECORD_KEYS)
    try:
        model = ModelConfig(contacts, groups, calendar, policies, kpis, name, queues, demand_scale)
        _check_business_clock(model)
    except ConfigError as problem:
        raise _locate(problem, document) from None
    return Scenario(name, description, model, experiment, source, document)


def _check_business_clock(model: ModelConfig) -> None:
    """`clock: business` without business hours would silently be the wall clock (24x7): refused."""
    if model.calendar.business_hours is not None:
        return
    for contact in model.contacts:
        path = f"demand.contacts.{contact.name}"
        if contact.repeat is not None and contact.repeat.clock == "business":
            raise ConfigError("`clock: business` needs `calendar.business_hours`", f"{path}.repeat.clock")
        if any(tier.sla is not None and tier.sla.clock == "business" for tier in contact.tiers):
            raise ConfigError("`clock: business` needs `calendar.business_hours` (e.g. {mon-fri: \"08:00-18:00\"})",
                              f"{path}.sla")


def _experiment(section: Section) -> Experiment:
    experiment = Experiment(replications=section.take("replications", whole_number(1, MAX_REPLICATIONS), 30),
                            seed=section.take("seed", whole_number(0, MAX_SEED), 20240101))
    section.done()
    return experiment


def _locate(problem: ConfigError, document: dict) -> ScenarioError:
    """Find the file and line of the key a cross-check names (e.g. staffing.groups.l1.skills)."""
    node, where = document, getattr(document, "where", ("", 0))
    for part in problem.path.split("."):
        if isinstance(node, dict) and part not in node and part == "0":
            continue  # the first (only) item of a list the file wrote as one mapping, e.g. overflow
        if isinstance(node, dict) and part in node:
            where = node.key_where.get(part, where) if hasattr(node, "key_where") else where
            node = node[part]
        elif isinstance(node, list):
            match = [item for item in node if isinstance(item, dict) and str(item.get("name")) == part]
            if not match and part.isdigit() and int(part) < len(node):
                match = [node[int(part)]]
            if not match:
                break
            node = match[0]
            where = getattr(node, "where", where)
    return ScenarioError(str(problem), where[0] or None, where[1] or None, problem.path)

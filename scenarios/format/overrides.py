"""`--set key.path=value`: one value of the merged scenario changed from the command line.

Items of lists are found by name (or position), so `staffing.groups.l1.shifts.late.agents=7` reads
as it is meant; the value is YAML, and `{append: [...]}` / `{replace: [...]}` work on lists as in a
file (merge.py).
"""
from __future__ import annotations

import re

from .distribution_edits import refuse_ambiguous_edit
from .merge import MISSING, deep_merge, is_list_form
from .yamlfile import LocatedDict, ScenarioError, parse_value


def apply_override(document: LocatedDict, assignment: str) -> None:
    """`key.path=value` (a named list item by its name, others by index); the value is read as YAML."""
    if "=" not in assignment:
        raise ScenarioError(f"--set needs key.path=value, got {assignment!r}")
    key_path, text = assignment.split("=", 1)
    value = parse_value(text, "--set")
    parts = [part for part in re.split(r"\.", key_path.strip()) if part]
    if not parts:
        raise ScenarioError(f"--set needs a key path before `=`, got {assignment!r}")
    target = document
    for depth, part in enumerate(parts[:-1]):
        target = _step_into(target, part, ".".join(parts[: depth + 1]))
    last, path = parts[-1], ".".join(parts)
    if isinstance(target, list):
        index = _list_index(target, last, key_path)
        target[index] = _new_value(target[index], value, path)
        return
    refuse_ambiguous_edit(target, {last}, ("--set " + assignment, 0), path)
    target[last] = _new_value(target.get(last, MISSING), value, path)
    if isinstance(target, LocatedDict):
        target.key_where[last] = ("--set " + assignment, 0)


def profile_first(overrides: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The overrides that choose `demand.profile`, and the rest: the profile is merged between them,
    so the rest can address the profile's contact types by name."""
    chooses = tuple(item for item in overrides if item.split("=", 1)[0].strip().startswith("demand.profile"))
    return chooses, tuple(item for item in overrides if item not in chooses)


def _new_value(current, value, path: str):
    """A list form appends to or replaces the list there; any other value is set as written."""
    return deep_merge(current if is_list_form(value) else MISSING, value, path)


def _step_into(container, part: str, so_far: str):
    if isinstance(container, list):
        return container[_list_index(container, part, so_far)]
    if isinstance(container, dict):
        if part not in container:
            child = LocatedDict()
            child.where = ("--set", 0)
            container[part] = child
        return container[part]
    raise ScenarioError(f"--set: `{so_far}` is a value, not a section")


def _list_index(items: list, part: str, so_far: str) -> int:
    for index, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("name")) == part:
            return index
    if part.isdigit() and int(part) < len(items):
        return int(part)
    names = [str(item.get("name")) for item in items if isinstance(item, dict) and "name" in item]
    raise ScenarioError(f"--set: no item `{part}` in `{so_far}` (items: {', '.join(names) or len(items)})")

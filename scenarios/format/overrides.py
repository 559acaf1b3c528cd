"""`--set key.path=value`: one value of the merged scenario changed from the command line.

Items of lists are found by name (or position), so `staffing.groups.l1.shifts.late.agents=7` reads
as it is meant; the value is YAML, and `{append: [...]}` / `{replace: [...]}` work on lists as in a
file (merge.py). Every error names the option as the user wrote it (`--set key.path=value`, or the
`--alt`/`--vary` it came from) and the key path, never a line of the scenario file.
"""
from __future__ import annotations

from .distribution_edits import refuse_ambiguous_edit
from .merge import MISSING, deep_merge, is_list_form
from .yamlfile import LocatedDict, ScenarioError, parse_value


def apply_override(document: LocatedDict, assignment: str, option: str = "--set") -> set[str]:
    """`key.path=value` (a named list item by its name, others by index); the value is read as YAML.
    Returns the key paths it set (by name and by position), so later errors there can name it."""
    source = f"{option} {assignment}"
    if "=" not in assignment:
        raise ScenarioError(f"{option} needs key.path=value, got {assignment!r}")
    key_path, text = assignment.split("=", 1)
    parts = [part.strip() for part in key_path.split(".")]
    if not key_path.strip():
        raise ScenarioError(f"{option} needs a key path before `=`, got {assignment!r}")
    if "" in parts:
        raise ScenarioError(f"the key path {key_path.strip()!r} has an empty key (two dots, or a dot at an end)",
                            source)
    value = _value(text, source, ".".join(parts))
    target, named, numbered = document, [], []
    for part in parts[:-1]:
        target = _step_into(target, part, named, numbered, source)
    return _assign(target, parts[-1], value, named, numbered, source)


def _value(text: str, source: str, path: str):
    """The YAML value; its errors name the option and the key it was meant for."""
    try:
        return parse_value(text, source)
    except ScenarioError as problem:
        raise ScenarioError(problem.message, source, None, path) from None


def _assign(target, last: str, value, named: list, numbered: list, source: str) -> set[str]:
    """Set `last` in `target` (a mapping, or a list by item name or position)."""
    if isinstance(target, list):
        index = _list_index(target, last, named, source)
        paths = _paths(named + [_name_of(target[index], index)], numbered + [str(index)])
        target[index] = _new_value(target[index], value, paths[0])
        return set(paths)
    path = ".".join(named + [last])
    if not isinstance(target, dict):
        raise ScenarioError(f"`{'.'.join(named)}` is a value, not a section: there is no `{last}` inside it", source,
                            None, path)
    refuse_ambiguous_edit(target, {last}, (source, 0), path)
    target[last] = _new_value(target.get(last, MISSING), value, path)
    if isinstance(target, LocatedDict):
        target.key_where[last] = (source, 0)
    return set(_paths(named + [last], numbered + [last]))


def _paths(named: list, numbered: list) -> list[str]:
    return [".".join(named), ".".join(numbered)]


def profile_first(overrides: tuple) -> tuple[tuple, tuple]:
    """The overrides that choose `demand.profile`, and the rest: the profile is merged between them,
    so the rest can address the profile's contact types by name. Items are `(option, assignment)`."""
    chooses = tuple(item for item in overrides if item[1].split("=", 1)[0].strip().startswith("demand.profile"))
    return chooses, tuple(item for item in overrides if item not in chooses)


def _new_value(current, value, path: str):
    """A list form appends to or replaces the list there; any other value is set as written."""
    return deep_merge(current if is_list_form(value) else MISSING, value, path)


def _step_into(container, part: str, named: list, numbered: list, source: str):
    """The child `part` of `container` (made, as a new section, where absent or empty)."""
    if isinstance(container, list):
        index = _list_index(container, part, named, source)
        named.append(_name_of(container[index], index))
        numbered.append(str(index))
        return container[index]
    named.append(part)
    numbered.append(part)
    if not isinstance(container, dict):
        raise ScenarioError(f"`{'.'.join(named[:-1])}` is a value, not a section: there is no `{part}` inside it",
                            source, None, ".".join(named))
    if container.get(part) is None:
        child = LocatedDict()
        child.where = (source, 0)
        container[part] = child
        if isinstance(container, LocatedDict):
            container.key_where[part] = (source, 0)
    return container[part]


def _name_of(item, index: int) -> str:
    return str(item["name"]) if isinstance(item, dict) and item.get("name") is not None else str(index)


def _list_index(items: list, part: str, named: list, source: str) -> int:
    for index, item in enumerate(items):
        if isinstance(item, dict) and str(item.get("name")) == part:
            return index
    if part.isdigit() and int(part) < len(items):
        return int(part)
    names = [str(item.get("name")) for item in items if isinstance(item, dict) and "name" in item]
    found = ", ".join(names) or (f"by position, 0 to {len(items) - 1}" if items else "none: the list is empty")
    raise ScenarioError(f"no item `{part}` in `{'.'.join(named)}` (items: {found})", source, None,
                        ".".join(named + [part]))

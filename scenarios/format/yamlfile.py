"""Scenario YAML with every key's file and line kept, `extends` inheritance and `--set` overrides.

Errors must point the planner at the exact line, so mappings and lists are loaded as `Located`
containers that remember where each entry was written, across files merged by `extends`.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml


class ScenarioError(ValueError):
    """A scenario that cannot run as written: what, where (file, line, key path) and how to fix it."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, path: str = ""):
        self.message, self.file, self.line, self.path = message, file, line, path
        where = f"{file}:{line}" if file and line else (file or "")
        prefix = ": ".join(part for part in (where, f"`{path}`" if path else "") if part)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class LocatedDict(dict):
    """A mapping that knows the file and line of each key (and of itself)."""

    where: tuple[str, int] = ("", 0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_where: dict = {}


class LocatedList(list):
    where: tuple[str, int] = ("", 0)


# YAML 1.1 reads `16:30` as the base-60 number 990; a planner means a clock time. These are PyYAML's
# int and float patterns without the base-60 forms (and with an optional exponent sign, so 1e-3 is a number).
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
                    r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


def _resolvers_without_base_60():
    kept = {first: [(tag, rx) for tag, rx in entries if not tag.endswith((":int", ":float"))]
            for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    for tag, pattern in (("tag:yaml.org,2002:int", _INT), ("tag:yaml.org,2002:float", _FLOAT)):
        for first in "-+0123456789.":
            kept.setdefault(first, []).append((tag, pattern))
    return kept


class _Loader(yaml.SafeLoader):
    yaml_implicit_resolvers = _resolvers_without_base_60()
    file_name = ""

    def construct_mapping(self, node, deep=False):
        mapping = LocatedDict()
        mapping.where = (self.file_name, node.start_mark.line + 1)
        for key_node, value_node in node.value:
            key = self._value(key_node)
            if key in mapping:
                raise ScenarioError(f"key `{key}` is written twice", self.file_name, key_node.start_mark.line + 1)
            mapping[key] = self._value(value_node)
            mapping.key_where[key] = (self.file_name, key_node.start_mark.line + 1)
        return mapping

    def construct_sequence(self, node, deep=False):
        items = LocatedList(self._value(child) for child in node.value)
        items.where = (self.file_name, node.start_mark.line + 1)
        return items

    def _value(self, node):
        """A node's value; a value YAML recognises but cannot build (2024-02-30) is an error at its line."""
        try:
            return self.construct_object(node, deep=True)
        except ScenarioError:
            raise
        except (ValueError, TypeError) as problem:
            raise ScenarioError(f"not a valid value: {node.value!r} ({problem})", self.file_name,
                                node.start_mark.line + 1) from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


def read_yaml(path: Path):
    """One YAML file as Located containers; a clear error for a missing file or broken YAML."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"no such file: {path}")
    return parse_yaml(path.read_text(encoding="utf-8"), str(path))


def parse_yaml(text: str, source: str):
    """YAML text as Located containers; errors name `source` (a file name, or e.g. "notebook")."""
    path = source
    loader = _Loader(text)
    loader.file_name = str(path)
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise ScenarioError(f"not valid YAML: {error.problem}", str(path), mark.line + 1 if mark else None) from None
    except ScenarioError:
        raise
    except (ValueError, TypeError) as error:  # a value YAML recognised but cannot build, e.g. 2024-13-01
        raise ScenarioError(f"not valid YAML: {error}", str(path)) from None
    finally:
        loader.dispose()
    if not isinstance(document, dict):
        raise ScenarioError("a scenario file must be a mapping of sections (calendar, demand, staffing, …)", str(path))
    return document


def load_with_extends(path: Path, _chain: tuple = ()) -> LocatedDict:
    """The file merged over the file it `extends` (recursively; paths relative to the extending file)."""
    path = Path(path).resolve()
    if path in _chain:
        raise ScenarioError(f"`extends` loops back to {path}", str(_chain[-1]))
    document = read_yaml(path)
    parent = document.pop("extends", None)
    if parent is None:
        return document
    base = load_with_extends(path.parent / str(parent), _chain + (path,))
    return deep_merge(base, document)


# A mapping that names its kind (a distribution's `dist`, an arrival pattern's `rate`/`weekly`/`series`)
# replaces the inherited one whole: mixing a lognormal's `mu` into a gamma would make nonsense.
WHOLE_VALUE_KEYS = {"dist", "rate", "weekly", "series"}


def deep_merge(base, override, key=None):
    """Mappings merge key by key; lists of named items merge by name; anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict) and not _replaces_whole(override, key):
        merged = LocatedDict(base)
        merged.where = override.where
        merged.key_where = {**getattr(base, "key_where", {}), **getattr(override, "key_where", {})}
        for name, value in override.items():
            merged[name] = deep_merge(base[name], value, name) if name in base else value
        return merged
    if _named_items(base) and _named_items(override):
        by_name = {item["name"]: item for item in base}
        for item in override:
            by_name[item["name"]] = deep_merge(by_name[item["name"]], item) if item["name"] in by_name else item
        merged = LocatedList(by_name.values())
        merged.where = override.where
        return merged
    return override


def _replaces_whole(override: dict, key) -> bool:
    return key in ("weekly", "series") or bool(WHOLE_VALUE_KEYS & set(override))


def _named_items(value) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) and "name" in item for item in value)


def apply_override(document: LocatedDict, assignment: str) -> None:
    """`key.path=value` (a named list item by its name, others by index); the value is read as YAML."""
    if "=" not in assignment:
        raise ScenarioError(f"--set needs key.path=value, got {assignment!r}")
    key_path, text = assignment.split("=", 1)
    loader = _Loader(text)
    loader.file_name = "--set"
    value = loader.get_single_data()
    parts = [part for part in re.split(r"\.", key_path.strip()) if part]
    target = document
    for depth, part in enumerate(parts[:-1]):
        target = _step_into(target, part, ".".join(parts[: depth + 1]))
    last = parts[-1]
    if isinstance(target, list):
        target[_list_index(target, last, key_path)] = value
    else:
        target[last] = value
        if isinstance(target, LocatedDict):
            target.key_where[last] = ("--set " + assignment, 0)


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

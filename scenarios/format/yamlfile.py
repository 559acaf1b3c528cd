"""Scenario YAML with every key's file and line kept (`extends` is in merge.py, `--set` in overrides.py).

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
        super().__init__(_located(message, file, line, path))


class ScenarioWarning(UserWarning):
    """A scenario that runs, but maybe not as meant (e.g. a child file dropped inherited shifts):
    said on stderr, with the same file, line and key path as an error."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None, path: str = ""):
        self.message, self.file, self.line, self.path = message, file, line, path
        super().__init__(_located(message, file, line, path))


def _located(message: str, file: str | None, line: int | None, path: str) -> str:
    where = f"{file}:{line}" if file and line else (file or "")
    prefix = ": ".join(part for part in (where, f"`{path}`" if path else "") if part)
    return f"{prefix}: {message}" if prefix else message


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


def parse_value(text: str, source: str):
    """One YAML value (a `--set` value): its mappings and lists remember `source` as their file."""
    loader = _Loader(text)
    loader.file_name = source
    try:
        return loader.get_single_data()
    except yaml.MarkedYAMLError as error:
        raise ScenarioError(f"not valid YAML: {error.problem}", source) from None
    finally:
        loader.dispose()

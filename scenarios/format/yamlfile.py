"""Scenario YAML with every key's file and line kept (`extends` is in merge.py, `--set` in overrides.py).

Errors must point the planner at the exact line, so mappings and lists are loaded as `Located`
containers that remember where each entry was written, across files merged by `extends`.

A scenario is plain data, so the loader reads only plain YAML: no tags, no dates (a date is text
its key's parser reads, so its error names the key), keys that are names, and bounded size and
nesting (an alias bomb or a deeply nested value is refused before it is built, not in a memory
error or a recursion traceback later).
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


# Limits on one YAML document (a scenario, a profile, a --set value): far above any real scenario (the
# library's largest, a calibrated profile, has ~3 000 nodes), far below what exhausts memory or the stack.
MAX_FILE_BYTES = 50_000_000
MAX_DEPTH = 50  # nested mappings and lists, aliases expanded
MAX_NODES = 5_000_000  # values, aliases expanded (an alias bomb expands a few lines into billions)
PLAIN_TAGS = {f"tag:yaml.org,2002:{kind}" for kind in ("null", "bool", "int", "float", "str", "seq", "map")}

# YAML 1.1 reads `16:30` as the base-60 number 990; a planner means a clock time. These are PyYAML's
# int and float patterns without the base-60 forms (and with an optional exponent sign, so 1e-3 is a number).
# Dates are not resolved either: `2024-13-45` stays text for its key's parser to refuse by name.
_INT = re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
                    r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


def _resolvers_without_base_60():
    kept = {first: [(tag, rx) for tag, rx in entries if not tag.endswith((":int", ":float", ":timestamp"))]
            for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    for tag, pattern in (("tag:yaml.org,2002:int", _INT), ("tag:yaml.org,2002:float", _FLOAT)):
        for first in "-+0123456789.":
            kept.setdefault(first, []).append((tag, pattern))
    return kept


class _Loader(yaml.SafeLoader):
    yaml_implicit_resolvers = _resolvers_without_base_60()
    file_name = ""
    lines = True  # False for a --set value: one line of the command, no line numbers to give
    depth = 0

    def compose_node(self, parent, index):
        """PyYAML composes recursively: deeper than MAX_DEPTH is refused before the stack runs out."""
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise self._error_at(self.peek_event(), f"nested more than {MAX_DEPTH} levels deep; a scenario "
                                                        f"needs fewer than 10")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _line(self, item) -> int:
        mark = getattr(item, "start_mark", None)
        return mark.line + 1 if mark and self.lines else 0

    def _error_at(self, item, message: str) -> "ScenarioError":
        return ScenarioError(message, self.file_name or None, self._line(item) or None)

    def construct_mapping(self, node, deep=False):
        mapping = LocatedDict()
        mapping.where = (self.file_name, self._line(node))
        for key_node, value_node in node.value:
            key = self._value(key_node)
            if key is None or isinstance(key, (dict, list)):
                raise self._error_at(key_node, f"a key must be a name, not {_kind(key)}")
            if key in mapping:
                raise self._error_at(key_node, f"key `{key}` is written twice")
            mapping[key] = self._value(value_node)
            mapping.key_where[key] = (self.file_name, self._line(key_node))
        return mapping

    def construct_sequence(self, node, deep=False):
        items = LocatedList(self._value(child) for child in node.value)
        items.where = (self.file_name, self._line(node))
        return items

    def _value(self, node):
        """A node's value; a value YAML recognises but cannot build (`!!int x`) is an error at its line."""
        try:
            return self.construct_object(node, deep=True)
        except ScenarioError:
            raise
        except (ValueError, TypeError) as problem:
            raise self._error_at(node, f"not a valid value: {node.value!r} ({problem})") from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)


def _kind(value) -> str:
    return {type(None): "empty (null)", LocatedDict: "a mapping", LocatedList: "a list"}.get(type(value), repr(value))


def read_yaml(path: Path):
    """One YAML file as Located containers; a clear error for a missing, huge or non-UTF-8 file or broken YAML."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"no such file: {path}" if not path.is_dir() else f"{path} is a folder, not a file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(f"the file is {size / 1e6:.0f} MB; a scenario or profile is at most "
                            f"{MAX_FILE_BYTES / 1e6:.0f} MB", str(path))
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError(f"not UTF-8 text: byte {data[error.start]:#04x} at position {error.start}; save the file "
                            f"as UTF-8", str(path), data.count(b"\n", 0, error.start) + 1) from None
    return parse_yaml(text, str(path))


def parse_yaml(text: str, source: str):
    """YAML text as Located containers; errors name `source` (a file name, or e.g. "notebook")."""
    document = _load(text, str(source))
    if not isinstance(document, dict):
        raise ScenarioError("a scenario file must be a mapping of sections (calendar, demand, staffing, …)",
                            str(source))
    return document


def parse_value(text: str, source: str):
    """One YAML value (a `--set` value): its mappings and lists remember `source` as their file, without
    line numbers (the value is one line of the command)."""
    return _load(text, source, lines=False)


def _load(text: str, source: str, lines: bool = True):
    """Plain YAML (checked before it is built) as Located containers; every YAML error named by `source`."""
    loader = None
    try:
        loader = _Loader(text)
        loader.file_name, loader.lines = source, lines
        node = loader.get_single_node()
        _check_plain(node, source)
        return None if node is None else loader.construct_document(node)
    except ScenarioError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        raise ScenarioError(f"not valid YAML: {error.problem}", source,
                            mark.line + 1 if mark and lines else None) from None
    except yaml.YAMLError as error:  # e.g. a control character the reader refuses
        line = _line(text, getattr(error, "position", None)) if lines else None
        raise ScenarioError(f"not valid YAML: {str(error).splitlines()[0]}", source, line) from None
    except (ValueError, TypeError) as error:  # a value YAML recognised but cannot build
        raise ScenarioError(f"not valid YAML: {error}", source) from None
    finally:
        if loader is not None:
            loader.dispose()


def _line(text: str, position: int | None) -> int | None:
    return None if position is None else text.count("\n", 0, position) + 1


def _check_plain(root, source: str) -> None:
    """Refuse tags, and documents that expand (aliases followed) past MAX_DEPTH or MAX_NODES: each node
    counted once and remembered, without recursion, so a bomb is refused in time linear in its text."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values, depth), aliases expanded
    entered: set[int] = set()
    stack = [(root, False)] if root is not None else []
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not children_done:
            _refuse_tag(node, source)
            if id(node) in entered:  # met again below itself
                raise _node_error(node, source, "a value that contains itself (an alias inside its own anchor)")
            entered.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in children)
            continue
        nodes = 1 + sum(sizes[id(child)][0] for child in children)
        depth = 1 + max((sizes[id(child)][1] for child in children), default=0)
        if nodes > MAX_NODES or depth > MAX_DEPTH:
            limit = f"{MAX_NODES:,} values" if nodes > MAX_NODES else f"{MAX_DEPTH} levels of nesting"
            raise _node_error(node, source, f"with its aliases expanded this value holds more than {limit}; "
                                            f"write it out (no alias of an alias of …)")
        sizes[id(node)] = (nodes, depth)


def _refuse_tag(node, source: str) -> None:
    if node.tag == "tag:yaml.org,2002:merge":
        raise _node_error(node, source, "`<<` merge keys are not read in scenarios; use `extends`, or write the keys out")
    if node.tag not in PLAIN_TAGS:
        raise _node_error(node, source, f"the tag {node.tag!r} is not read in scenarios; write the value plainly "
                                        f"(numbers, text, lists and mappings)")


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _node_error(node, source: str, message: str) -> ScenarioError:
    return ScenarioError(message, source, node.start_mark.line + 1)

"""Reading one section of a scenario: take each known key, parse it, and refuse anything unknown.

Every parse error is re-raised as a ScenarioError with the key's path, file and line; a leftover key
gets the nearest valid key as a suggestion ("did you mean `handle_time`?").
"""
from __future__ import annotations

import difflib

from .yamlfile import LocatedDict, ScenarioError

MISSING = object()

# Keys of the scenario format that this version reads but cannot simulate yet: refused, never ignored.
NOT_YET = {
}


class Section:
    """A mapping being read; `done()` refuses keys nobody took."""

    def __init__(self, data, path: str, context: "Section | None" = None):
        if not isinstance(data, dict):
            located = data if hasattr(data, "where") else getattr(context, "data", None)
            raise _error(f"expected a mapping of keys here, got {data!r}", path, located)
        self.data, self.path, self.taken = data, path, set()

    def has(self, key: str) -> bool:
        return key in self.data

    def take(self, key: str, parse=None, default=MISSING):
        """The parsed value of `key`, the default if absent, or an error if required and absent."""
        self.taken.add(key)
        if key not in self.data:
            if default is MISSING:
                raise self._missing(key)
            return default
        value = self.data[key]
        if parse is None:
            return value
        try:
            return parse(value)
        except ScenarioError:
            raise
        except (ValueError, TypeError) as problem:
            raise self.error(str(problem), key) from None

    def _missing(self, key: str) -> ScenarioError:
        """A required key is absent: if a misspelling of it is present, point at that line instead."""
        for written in self.data:
            if written not in self.taken and difflib.get_close_matches(str(written), [key], n=1, cutoff=0.7):
                return self.error(f"unknown key `{written}`; did you mean `{key}`?", written)
        return _error(f"`{key}` is required here", self.path, self.data)

    def section(self, key: str, default=MISSING) -> "Section":
        value = self.take(key, default=LocatedDict() if default is not MISSING else MISSING)
        return Section(value, self.child_path(key), self)

    def optional_section(self, key: str) -> "Section | None":
        """The sub-mapping under `key`, or None when the key is absent (an optional feature)."""
        self.taken.add(key)
        return Section(self.data[key], self.child_path(key), self) if key in self.data else None

    def child_path(self, key) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def error(self, message: str, key: str | None = None) -> ScenarioError:
        if key is None:
            return _error(message, self.path, self.data)
        file, line = getattr(self.data, "key_where", {}).get(key, getattr(self.data, "where", ("", 0)))
        return ScenarioError(message, file or None, line or None, self.child_path(key))

    def done(self, known_elsewhere: tuple = ()) -> None:
        """Refuse unknown keys with a suggestion, and known-but-unsupported ones with the reason."""
        for key in self.data:
            if key in self.taken or key in known_elsewhere:
                continue
            full = self.child_path(key)
            reason = NOT_YET.get(full) or NOT_YET.get(str(key))
            if reason:
                raise self.error(f"`{key}` is part of the scenario format, but {reason} in this version; "
                                 f"remove it to run", key)
            raise self.error(_unknown_key_message(str(key), sorted(self.taken | set(known_elsewhere))), key)


def _unknown_key_message(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.5)
    hint = f"did you mean `{close[0]}`?" if close else f"valid keys here: {', '.join(valid)}"
    return f"unknown key `{key}`; {hint}"


def _error(message: str, path: str, data) -> ScenarioError:
    file, line = getattr(data, "where", ("", 0)) if data is not None else ("", 0)
    return ScenarioError(message, file or None, line or None, path)


def items_of(section: Section, key: str, default=MISSING) -> list[tuple[str, Section]]:
    """A list of named mappings (contacts, groups) as (name, Section) pairs."""
    items = section.take(key, default=default)
    if not isinstance(items, list):
        raise section.error("expected a list of items, each with a `name`", key)
    pairs = []
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        label = name if isinstance(name, (str, int)) and not isinstance(name, bool) else index
        path = section.child_path(f"{key}.{label}")
        reader = Section(item, path, section)
        pairs.append((reader.take("name", item_name), reader))
    return pairs


def item_name(value) -> str:
    """A name other keys refer to (a contact type, group, queue, shift): text, or a whole number."""
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise ValueError(f"a name must be text such as billing (in quotes if YAML reads it as something else), "
                         f"got {'nothing (null)' if value is None else repr(value)}")
    return str(value)

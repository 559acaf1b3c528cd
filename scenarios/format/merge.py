"""`extends`: a scenario file deep-merged over the file it extends.

Mappings merge key by key. Lists of named items merge by `name` (an inherited item without a name is
named by its position, 0, 1, …), so a child file changes or adds one shift without restating the
others. `{append: [...]}` adds to an inherited list and `{replace: [...]}` replaces it on purpose.
A child list that is neither (an item without a name) replaces the inherited one whole, and for the
lists of named items (contacts, groups, queues, shifts, breaks) that is said as a warning: an
inherited shift must never vanish unnoticed.
"""
from __future__ import annotations

import warnings
from pathlib import Path

from .distribution_edits import refuse_ambiguous_edit
from .yamlfile import LocatedDict, LocatedList, ScenarioError, ScenarioWarning, read_yaml

NAMED_LISTS = ("contacts", "groups", "queues", "shifts", "breaks")
LIST_FORMS = ("append", "replace")
# A mapping that names its kind (a distribution's `dist`, an arrival pattern's `rate`/`weekly`/`series`)
# replaces the inherited one whole: mixing a lognormal's `mu` into a gamma would make nonsense.
WHOLE_VALUE_KEYS = {"dist", "rate", "weekly", "series"}
# Keys that exclude each other: giving one drops the inherited other (a break by `after` or in a `window`).
ALTERNATIVES = ({"after", "window"},)
MISSING = object()


def load_with_extends(path: Path, _chain: tuple = ()) -> LocatedDict:
    """The file merged over the file it `extends` (recursively; paths relative to the extending file)."""
    path = Path(path).resolve()
    document = read_yaml(path)
    where = getattr(document, "key_where", {}).get("extends", (str(path), 0))
    parent = document.pop("extends", None)
    base = MISSING if parent is None else _load_parent(_parent_path(path, parent, where, _chain + (path,)), _chain + (path,), where)
    return deep_merge(base, document)


def _load_parent(parent: Path, chain: tuple, where: tuple) -> LocatedDict:
    """The extended file; an error reading it also says which file's `extends` led there."""
    try:
        return load_with_extends(parent, chain)
    except ScenarioError as problem:
        if "(reached by `extends` in" in problem.message:
            raise
        referrer = f"{where[0]}:{where[1]}" if where[1] else where[0]
        raise ScenarioError(f"{problem.message} (reached by `extends` in {referrer})", problem.file, problem.line,
                            problem.path) from None


def _parent_path(child: Path, parent, where: tuple, chain: tuple) -> Path:
    """The file `extends` names, relative to the child; a name that is no file is refused at its line."""
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(f"expected the path of a scenario file, got {parent!r}", where[0], where[1] or None,
                            "extends")
    found = child.parent / parent
    if not found.is_file():
        what = "is a folder, not a scenario file" if found.is_dir() else "does not exist"
        raise ScenarioError(f"{parent} {what} (looked for {found})", where[0], where[1] or None, "extends")
    if found.resolve() in chain:
        raise ScenarioError(f"`extends` loops back to {found.resolve()}", where[0], where[1] or None, "extends")
    return found


def deep_merge(base, override, path: str = ""):
    """`override` over `base` (MISSING: nothing inherited, list forms are still resolved)."""
    if is_list_form(override):
        return _list_form(base, override, path)
    if isinstance(override, dict):
        inherited = base if isinstance(base, dict) and not _replaces_whole(override, path) else LocatedDict()
        return _merge_mappings(inherited, override, path)
    if isinstance(override, list):
        return _merge_lists(base if isinstance(base, list) else MISSING, override, path)
    return override


def is_list_form(value) -> bool:
    """`{append: [...]}` or `{replace: [...]}` written where a list goes."""
    return isinstance(value, dict) and bool(value) and set(value) <= set(LIST_FORMS)


def _merge_mappings(base: dict, override: dict, path: str) -> LocatedDict:
    refuse_ambiguous_edit(base, override, getattr(override, "where", ("", 0)), path)
    merged = LocatedDict(base)
    merged.where = getattr(override, "where", ("", 0))
    merged.key_where = {**getattr(base, "key_where", {}), **getattr(override, "key_where", {})}
    for keys in ALTERNATIVES:
        if keys & set(override):
            for dropped in keys - set(override):
                merged.pop(dropped, None)
    for name, value in override.items():
        merged[name] = deep_merge(merged.get(name, MISSING), value, _child(path, name))
    return merged


def _replaces_whole(override: dict, path: str) -> bool:
    return path.rsplit(".", 1)[-1] in ("weekly", "series") or bool(WHOLE_VALUE_KEYS & set(override))


def _merge_lists(base, override: list, path: str) -> LocatedList:
    """By name when every item written here has one; otherwise the list written here, whole."""
    if base is not MISSING and _mappings(base) and _mappings(override) and override \
            and all("name" in item for item in override):
        return _merge_by_name(base, override, path)
    if base is not MISSING and base and _mappings(base) and path.rsplit(".", 1)[-1] in NAMED_LISTS:
        _warn_replaced(base, override, path)
    return _located_list((deep_merge(MISSING, item, _child(path, index)) for index, item in enumerate(override)),
                         override)


def _merge_by_name(base: list, override: list, path: str) -> LocatedList:
    by_name = _by_name(base, path)
    for name, item in _by_name(override, path).items():
        by_name[name] = deep_merge(by_name.get(name, MISSING), item, _child(path, name))
    return _located_list(by_name.values(), override)


def _by_name(items: list, path: str) -> dict:
    """Items by name (or position, for items without one); a name written twice is refused."""
    found = {}
    for index, item in enumerate(items):
        name = str(item["name"]) if "name" in item else str(index)
        if name in found:
            file, line = getattr(item, "where", ("", 0))
            raise ScenarioError(f"two items are named `{name}`: names must be unique, they are what "
                                f"`extends` and `--set` find items by", file or None, line or None, path)
        found[name] = item
    return found


def _list_form(base, form: dict, path: str) -> LocatedList:
    """`{append: items}` adds new items after the inherited ones; `{replace: items}` is the list."""
    if len(form) > 1:
        raise _error(form, path, "give `append` or `replace`, not both")
    (how, items), = form.items()
    items = items if isinstance(items, list) else [items]
    if how == "replace" or base is MISSING:
        return deep_merge(MISSING, _located_list(items, form), path)
    if not isinstance(base, list):
        raise _error(form, path, f"`append` adds to a list, and the inherited `{path}` is not one")
    taken = {str(item["name"]) for item in base if isinstance(item, dict) and "name" in item}
    for item in items:
        if isinstance(item, dict) and str(item.get("name")) in taken:
            raise _error(form, path, f"`append` adds new items, and `{item['name']}` is already one: change it "
                                     f"by name (a list item with `name: {item['name']}`) instead")
    appended = deep_merge(MISSING, _located_list(items, form), path)
    return _located_list([*base, *appended], form)


def _warn_replaced(base: list, override: list, path: str) -> None:
    kind = path.rsplit(".", 1)[-1]
    names = ", ".join(str(item["name"]) if "name" in item else f"#{index}" for index, item in enumerate(base))
    file, line = getattr(override, "where", ("", 0))
    warnings.warn(ScenarioWarning(
        f"replaces the inherited {kind} ({names}) whole, because an item here has no `name` to merge by. "
        f"Name every item to change or add {kind} by name, write `{{append: [...]}}` to add to the inherited "
        f"ones, or `{{replace: [...]}}` to replace them on purpose", file or None, line or None, path), stacklevel=2)


def _mappings(items) -> bool:
    return isinstance(items, list) and all(isinstance(item, dict) for item in items)


def _located_list(items, like) -> LocatedList:
    result = LocatedList(items)
    result.where = getattr(like, "where", ("", 0))
    return result


def _child(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _error(form, path: str, message: str) -> ScenarioError:
    file, line = getattr(form, "where", ("", 0))
    return ScenarioError(message, file or None, line or None, path)

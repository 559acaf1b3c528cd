"""`demand.profile`: start a scenario's contact types from a calibrated profile, then override by name.

The profile's `contacts` are already in the scenario format; the scenario's own `demand.contacts`
merge over them by name (a distribution or arrival pattern given in the scenario replaces the
profile's whole). `arrivals: {from_profile: true}` says so explicitly.
"""
from __future__ import annotations

import difflib
from pathlib import Path

from .merge import deep_merge
from .yamlfile import LocatedDict, LocatedList, ScenarioError, read_yaml


def merge_profile(document: LocatedDict) -> LocatedDict:
    """The document with `demand.profile` resolved into `demand.contacts` (unchanged without one)."""
    demand = document.get("demand")
    if not isinstance(demand, dict):
        return document
    if "profile" in demand:
        demand = _with_profile_contacts(demand)
        document = LocatedDict(document)
        document.where, document.key_where = _where(document), dict(getattr(document, "key_where", {}))
        document["demand"] = demand
    _drop_from_profile_flags(demand)
    return document


def _with_profile_contacts(demand: LocatedDict) -> LocatedDict:
    path = _profile_path(demand)
    profile = read_yaml(path)
    contacts = profile.get("contacts")
    if not isinstance(contacts, list) or not contacts:
        raise ScenarioError("this file has no `contacts` list; is it a profile written by `helpdesk-sim calibrate`?",
                            str(path))
    merged = LocatedDict({key: value for key, value in demand.items() if key != "profile"})
    merged.where, merged.key_where = _where(demand), dict(getattr(demand, "key_where", {}))
    own = demand.get("contacts", LocatedList())
    _refuse_unknown_types(contacts, own, path)
    merged["contacts"] = deep_merge(contacts, own, "demand.contacts") if own else contacts
    merged.key_where.setdefault("contacts", getattr(contacts, "where", ("", 0)))
    return merged


def _refuse_unknown_types(profile_contacts: list, own, path: Path) -> None:
    """A scenario entry without `arrivals` can only change a profile type: one the profile lacks is a
    misspelt name, said with the profile's types (a new type beside them gives its own arrivals)."""
    names = [str(contact.get("name")) for contact in profile_contacts if isinstance(contact, dict)]
    for item in own if isinstance(own, list) else ():
        if isinstance(item, dict) and "arrivals" not in item and str(item.get("name")) not in names:
            lowered = {name.lower(): name for name in names}
            close = difflib.get_close_matches(str(item.get("name")).lower(), lowered, n=1, cutoff=0.6)
            hint = f"did you mean `{lowered[close[0]]}`? " if close else ""
            file, line = getattr(item, "where", ("", 0))
            raise ScenarioError(f"the profile {path.name} has no contact type `{item.get('name')}` ({hint}its types: "
                                f"{', '.join(names)}); a new type needs its own `arrivals`", file or None, line or None,
                                f"demand.contacts.{item.get('name')}")


def _profile_path(demand: LocatedDict) -> Path:
    written_in = getattr(demand, "key_where", {}).get("profile", ("", 0))[0]
    base = Path(written_in).parent if written_in and not written_in.startswith("--set") else Path.cwd()
    path = base / str(demand["profile"])
    if not path.is_file():
        file, line = getattr(demand, "key_where", {}).get("profile", ("", 0))
        raise ScenarioError(f"profile not found: {path}", file or None, line or None, "demand.profile")
    return path


def _drop_from_profile_flags(demand) -> None:
    """`from_profile: true` is satisfied by the merge; without a profile it is an error."""
    for contact in demand.get("contacts", []) or []:
        arrivals = contact.get("arrivals") if isinstance(contact, dict) else None
        if isinstance(arrivals, dict) and arrivals.pop("from_profile", None) and "profile" not in demand \
                and not {"rate", "weekly", "series"} & set(arrivals):
            file, line = getattr(arrivals, "where", ("", 0))
            raise ScenarioError("`from_profile: true` needs `demand.profile` with this contact type",
                                file or None, line or None, f"demand.contacts.{contact.get('name')}.arrivals")


def _where(mapping) -> tuple:
    return getattr(mapping, "where", ("", 0))

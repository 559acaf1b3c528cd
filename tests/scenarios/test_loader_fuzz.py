"""Hypothesis: any scenario document — valid, or broken in random ways — either builds a model or is
refused with the project's own error (ScenarioError, which names the file or option and the key).
Never a traceback: no TypeError, AttributeError, OverflowError, RecursionError, MemoryError, numpy
error or hang, whatever the keys, values (NaN, infinity, huge, negative, text, lists, mappings) or
nesting."""
from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from scenarios.format.scenario import load_scenario
from scenarios.format.yamlfile import ScenarioError

from .helpers import SMALL, TICKETS, TINY

BASES = [yaml.safe_load(text) for text in (TINY, SMALL, TICKETS)]
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Values a planner (or a fuzzer) might write: every YAML type, numbers at the edges, and text that
# looks like the format's units.
NUMBERS = st.one_of(st.integers(-10, 100), st.integers(-2 ** 70, 2 ** 70), st.integers(10 ** 300, 10 ** 400),
                    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, 1, -1, 0.5, 1e-300, 1e300]))
TEXTS = st.one_of(st.sampled_from(["5min", "-5min", "0s", "1e400s", "nan", "inf", "3/h", "1e12/s", "0/h", "08:00",
                                   "24:00", "99:99", "mon-fri", "all", "2024-13-45", "2024-01-01 00:00",
                                   "exponential", "lognormal", "gamma", "mixture", "phone", "email", "chat", "l1",
                                   "billing", "tech", "", " ", "~"]),
                  st.text(max_size=12))
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXTS)
KEYS = st.one_of(st.sampled_from(["name", "dist", "mean", "cv", "k", "mu", "sigma", "shape", "scale", "rate",
                                  "weekly", "series", "agents", "days", "start", "end", "breaks", "after", "length",
                                  "skills", "shifts", "contacts", "groups", "handle_time", "patience", "retrial",
                                  "probability", "delay", "priority", "interval", "horizon", "extends", "profile",
                                  "components", "weights", "values", "mon-fri", "08:00-12:00"]),
                 st.text(max_size=8), st.integers(-5, 5))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)


def paths(node, prefix=()):
    """Every path into a document (mapping keys and list positions)."""
    yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from paths(child, prefix + (key,))


def edited(document, path, action: str, value):
    """`document` with the value at `path` replaced, removed, or given a new key/item."""
    document = copy.deepcopy(document)
    if not path:
        return value if action == "replace" else document
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "replace":
        parent[last] = value
    elif action == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last][f"extra_{len(parent[last])}"] = value
    elif isinstance(parent[last], list):
        parent[last].append(value)
    else:
        parent[last] = [parent[last], value]
    return document


@st.composite
def documents(draw):
    """A library-like scenario with 1-3 random edits (most); or a wholly random mapping."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.dictionaries(KEYS, VALUES, max_size=6))
    document = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(document))))
        document = edited(document, path, draw(st.sampled_from(["replace", "replace", "delete", "add"])), draw(VALUES))
    return document


def dumped(document) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def written(folder, text: str):
    path = folder.mktemp("fuzz") / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def builds_or_is_refused(path, overrides=()) -> ScenarioError | None:
    """Load; a ScenarioError (with a message) is returned, anything else escapes and fails the test."""
    try:
        load_scenario(path, overrides)
    except ScenarioError as error:
        _event("refused")
        assert error.message
        return error
    _event("builds")
    return None


def _event(outcome: str) -> None:
    """Counted in --hypothesis-show-statistics (how many examples build, how many are refused)."""
    if currently_in_test_context():
        event(outcome)


def check_document(folder, document) -> None:
    builds_or_is_refused(written(folder, dumped(document)))


def check_text(folder, text: str) -> None:
    path = written(folder, text)
    error = builds_or_is_refused(path)
    assert error is None or str(path) in str(error), error  # a file's error names the file


@SETTINGS
@given(documents())
def test_a_random_document_builds_or_is_refused_with_a_scenario_error(tmp_path_factory, document):
    check_document(tmp_path_factory, document)


@SETTINGS
@given(st.sampled_from(BASES), st.data())
def test_a_random_set_builds_or_is_refused_naming_the_option(tmp_path_factory, base, data):
    """--set a random path (existing or not) to a random YAML value: a model, or an error naming --set."""
    path = written(tmp_path_factory, dumped(base))
    key = ".".join(str(part) for part in data.draw(st.sampled_from(list(paths(base))[1:])))
    key = data.draw(st.sampled_from([key, key + ".x", key.rsplit(".", 1)[0] + "..y", key + ".0"]))
    text = data.draw(st.one_of(VALUES.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()
                                                    .removesuffix("...").strip()), TEXTS))
    error = builds_or_is_refused(path, (f"{key}={text}",))
    if error is not None and (error.path == key or ".." in key):  # the key set, or no key: the --set's fault
        assert str(error).startswith(f"--set {key}="), error
    elif error is not None:  # a consequence elsewhere in the file (e.g. a skill for a type the --set renamed)
        assert error.file, error


# YAML a hand (or an attacker) might write where a value goes: tags, aliases (a bomb of a billion
# values on one line), unhashable and null keys, merge keys, deep nesting, control characters, tabs,
# broken flow collections.
BOMB = "[&a0 [x, x, x, x, x, x, x, x, x, x], " + ", ".join(
    f"&a{level} [{', '.join([f'*a{level - 1}'] * 10)}]" for level in range(1, 10)) + "]"
SNIPPETS = [BOMB, "{[1, 2]: 3}", "{{a: 1}: 2}", "{~: 1}", "!!binary aGk=", "!!set {a, b}", "!!omap [a: 1]",
            "!!python/object:os.system x", "!foo 3", "&a [*a]", "*nowhere", "&b [1, 2]", "{<<: {a: 1}}",
            "[" * 3000 + "]" * 3000, "{a: " * 3000 + "1" + "}" * 3000, "\x00", "\tx", "[1, 2", "{a: 1", "a: b: c",
            "2024-13-45", "2024-02-30", ".nan", "-.inf", "1e400", "0x1F", "0o17", "1_000", "yes", "08:00:00",
            "'unterminated", '"\\uZZZZ"', "- a\n- b", "? complex\n: key"]


@st.composite
def texts(draw):
    """A base scenario's text with one line's value (or the line) replaced by a hostile snippet."""
    lines = draw(st.sampled_from([TINY, SMALL, TICKETS])).splitlines()
    snippet = draw(st.one_of(st.sampled_from(SNIPPETS), st.text(max_size=20)))
    number = draw(st.integers(0, len(lines) - 1))
    key, colon, _ = lines[number].partition(":")
    lines[number] = f"{key}: {snippet}" if colon and draw(st.booleans()) else snippet
    return "\n".join(lines) + "\n"


@SETTINGS
@given(texts())
def test_hostile_yaml_text_builds_or_is_refused_naming_the_file(tmp_path_factory, text):
    check_text(tmp_path_factory, text)


def test_the_bases_are_valid(tmp_path_factory):
    """Guard: the edits above start from scenarios that load."""
    for base in BASES:
        assert builds_or_is_refused(written(tmp_path_factory, dumped(base))) is None


SLOW = settings(SETTINGS, max_examples=2000)


@pytest.mark.slow
@SLOW
@given(documents())
def test_many_random_documents_build_or_are_refused(tmp_path_factory, document):
    check_document(tmp_path_factory, document)


@pytest.mark.slow
@SLOW
@given(texts())
def test_much_hostile_yaml_text_builds_or_is_refused(tmp_path_factory, text):
    check_text(tmp_path_factory, text)

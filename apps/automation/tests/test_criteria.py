"""StackStorm rule criteria: every operator and alias, paths, search, templated patterns, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.automation.criteria import OPERATORS, CriteriaError, criteria_match, resolve_path
from apps.core.expressions import render

NOW = datetime.now(UTC)
PAYLOAD = {
    "total": 1500,
    "name": "Order-ABC",
    "country": "DE",
    "tags": ["vip", "New"],
    "headers": {"X-Foo": "bar", "Content-Type": "application/json"},
    "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 5}],
    "nothing": None,
    "raw": b"bytes value",
    "text": "line one\nline two",
    "recent": (NOW - timedelta(seconds=5)).isoformat(),
    "old": "2014-07-01T00:01:01.000000",
    "flag": False,
}
CONTEXT = {"event": {"payload": PAYLOAD, "trigger": "shop.order_created"}, "limit": 1000}


def match(key: str, operator: str, pattern=None, **extra) -> bool:
    # "recent" stays 5 s old however long the suite has been running.
    PAYLOAD["recent"] = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    return criteria_match({key: {"type": operator, "pattern": pattern, **extra}}, CONTEXT)


ALL_OPERATORS = {
    "equals", "eq", "nequals", "neq", "iequals", "ieq", "contains", "icontains", "ncontains",
    "incontains", "startswith", "istartswith", "endswith", "iendswith", "lessthan", "lt",
    "greaterthan", "gt", "matchwildcard", "regex", "iregex", "matchregex", "timediff_lt", "td_lt",
    "timediff_gt", "td_gt", "exists", "nexists", "inside", "in", "ninside", "nin", "search",
}  # fmt: skip


def test_operator_table_has_every_name_and_alias():
    """OPERATORS lists all StackStorm names and aliases, lower-case."""
    assert set(OPERATORS) == ALL_OPERATORS
    for long, short in [("equals", "eq"), ("nequals", "neq"), ("iequals", "ieq"), ("lessthan", "lt"),
                        ("greaterthan", "gt"), ("timediff_lt", "td_lt"), ("timediff_gt", "td_gt"),
                        ("inside", "in"), ("ninside", "nin")]:  # fmt: skip
        assert OPERATORS[long] is OPERATORS[short]


# (key, operator, pattern, expected)
CASES = [
    ("trigger.total", "equals", 1500, True),
    ("trigger.total", "eq", 1501, False),
    ("trigger.total", "equals", "1500", False),  # no coercion
    ("trigger.tags", "equals", ["vip", "New"], True),
    ("trigger.total", "equals", None, False),
    ("trigger.raw", "equals", "bytes value", True),
    ("trigger.country", "nequals", "FR", True),
    ("trigger.country", "neq", "DE", False),
    ("trigger.country", "nequals", None, True),  # a null pattern is compared, not skipped
    ("trigger.name", "iequals", "order-abc", True),
    ("trigger.name", "ieq", "order-abd", False),
    ("trigger.total", "iequals", 1500, False),
    ("trigger.name", "contains", "der-A", True),
    ("trigger.name", "contains", "der-a", False),
    ("trigger.tags", "contains", "vip", True),
    ("trigger.tags", "contains", "vi", False),
    ("trigger.headers", "contains", "X-Foo", True),
    ("trigger.total", "contains", "1", False),
    ("trigger.name", "icontains", "DER-a", True),
    ("trigger.tags", "icontains", "new", True),
    ("trigger.tags", "icontains", "old", False),
    ("trigger.name", "ncontains", "xyz", True),
    ("trigger.name", "ncontains", "Order", False),
    ("trigger.tags", "ncontains", "old", True),
    ("trigger.name", "incontains", "ORDER", False),
    ("trigger.name", "incontains", "xyz", True),
    ("trigger.name", "startswith", "Order", True),
    ("trigger.name", "startswith", "order", False),
    ("trigger.name", "istartswith", "ORDER", True),
    ("trigger.name", "istartswith", "ABC", False),
    ("trigger.name", "endswith", "ABC", True),
    ("trigger.name", "endswith", "abc", False),
    ("trigger.name", "iendswith", "abc", True),
    ("trigger.name", "iendswith", "order", False),
    ("trigger.total", "lessthan", 2000, True),
    ("trigger.total", "lt", 1500, False),
    ("trigger.total", "greaterthan", 1000, True),
    ("trigger.total", "gt", 1500.5, False),
    ("trigger.country", "lessthan", "FR", True),  # strings compare, as in StackStorm
    ("trigger.total", "greaterthan", "1000", False),  # number vs string: no match, no error
    ("trigger.flag", "lessthan", 1, False),  # booleans are not numbers
    ("trigger.name", "matchwildcard", "Order-*", True),
    ("trigger.name", "matchwildcard", "Order-?BC", True),
    ("trigger.name", "matchwildcard", "order-*", False),
    ("trigger.name", "regex", r"\w+-[A-C]{3}$", True),
    ("trigger.name", "regex", "abc", False),
    ("trigger.name", "iregex", "abc$", True),
    ("trigger.name", "iregex", "^xyz", False),
    ("trigger.text", "matchregex", ".*two", True),  # DOTALL
    ("trigger.text", "matchregex", "two", False),  # anchored at the start
    ("trigger.total", "regex", "15", False),  # not a string
    ("trigger.recent", "timediff_lt", 60, True),
    ("trigger.old", "td_lt", 60, False),
    ("trigger.old", "timediff_gt", 60, True),
    ("trigger.recent", "td_gt", "3600", False),  # seconds may be a string
    ("trigger.name", "timediff_lt", 60, False),  # not a timestamp
    ("trigger.country", "exists", None, True),
    ("trigger.flag", "exists", None, True),  # false exists
    ("trigger.nothing", "exists", None, False),
    ("trigger.nothing", "nexists", None, True),
    ("trigger.country", "nexists", None, False),
    ("trigger.country", "inside", ["DE", "FR"], True),
    ("trigger.country", "in", ["US"], False),
    ("trigger.country", "inside", "DEU", True),
    ("trigger.country", "inside", {"DE": 1}, True),
    ("trigger.total", "inside", "1500", False),
    ("trigger.country", "ninside", ["US", "FR"], True),
    ("trigger.country", "nin", ["DE"], False),
]


@pytest.mark.parametrize(("key", "operator", "pattern", "expected"), CASES)
def test_operator(key, operator, pattern, expected):
    """Each operator and alias, with positive and negative cases."""
    assert match(key, operator, pattern) is expected


def test_every_operator_is_exercised():
    """The table above covers every operator name (search has its own tests)."""
    assert {case[1] for case in CASES} | {"search"} == ALL_OPERATORS


@pytest.mark.parametrize(
    "operator",
    ["equals", "iequals", "contains", "icontains", "ncontains", "incontains", "startswith", "istartswith",
     "endswith", "iendswith", "lessthan", "greaterthan", "matchwildcard", "regex", "iregex", "matchregex",
     "timediff_lt", "timediff_gt", "inside", "ninside"],
)  # fmt: skip
def test_missing_path_does_not_match(operator):
    """A missing path is None: value operators simply don't match, without error."""
    pattern = 10 if operator.startswith("timediff") else ["x"] if "inside" in operator else "x"
    assert match("trigger.no.such.path", operator, pattern) is False


def test_missing_path_with_exists_and_nexists():
    """exists/nexists tell present from absent paths."""
    assert match("trigger.absent", "nexists") is True
    assert match("trigger.absent", "exists") is False
    assert match("event.payload.headers.absent", "nexists") is True


def test_operator_names_are_case_insensitive():
    """Operator names are lower-cased before lookup."""
    assert match("trigger.total", "GreaterThan", 1000) is True
    assert match("trigger.name", "MATCHREGEX", "Order") is True
    assert match("trigger.country", " Equals ", "DE") is True


def test_trigger_prefix_means_event_payload():
    """trigger.x and event.payload.x are the same path."""
    assert match("trigger.country", "equals", "DE") is True
    assert match("event.payload.country", "equals", "DE") is True
    assert resolve_path(CONTEXT, "trigger") is PAYLOAD


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("event.payload.headers['X-Foo']", "bar"),
        ('trigger.headers["Content-Type"]', "application/json"),
        ("trigger.items.1.sku", "b"),
        ("trigger.items[0].qty", 2),
        ("trigger.items[-1].sku", "b"),
        ("trigger.items.-1.sku", "b"),
        ("trigger.items.7.sku", None),
        ("trigger.name.length", None),
        ("event.trigger", "shop.order_created"),
        ("limit", 1000),
    ],
)
def test_path_syntax(key, expected):
    """Dotted names, quoted brackets and list indexes resolve; dead ends are None."""
    assert resolve_path(CONTEXT, key) == expected


def test_tag_suffix_allows_the_same_path_twice():
    """'path#tag' keys are the same path, so one field can have two criteria."""
    criteria = {
        "trigger.total#1": {"type": "gt", "pattern": 1000},
        "trigger.total#2": {"type": "lt", "pattern": 2000},
    }
    assert criteria_match(criteria, CONTEXT) is True
    criteria["trigger.total#2"]["pattern"] = 1200
    assert criteria_match(criteria, CONTEXT) is False
    assert resolve_path({"h": {"a#b": 1}}, "h['a#b']") == 1  # a '#' inside brackets is not a tag


def test_all_criteria_must_hold():
    """Criteria are AND-ed."""
    criteria = {"trigger.total": {"type": "gt", "pattern": 1000}, "trigger.country": {"type": "eq", "pattern": "FR"}}
    assert criteria_match(criteria, CONTEXT) is False
    criteria["trigger.country"]["pattern"] = "DE"
    assert criteria_match(criteria, CONTEXT) is True


@pytest.mark.parametrize("criteria", [None, {}])
def test_no_criteria_matches(criteria):
    """Empty or absent criteria match every event."""
    assert criteria_match(criteria, CONTEXT) is True


# --- search ---------------------------------------------------------------------

LEVELS = {"event": {"payload": {"levels": [{"name": "water", "value": 45}, {"name": "water", "value": 20}]}}}
BOTH_CHILDREN = {
    "item.value#1": {"type": "greaterthan", "pattern": 40},
    "item.value#2": {"type": "lessthan", "pattern": 50},
}


def search(condition: str, pattern=BOTH_CHILDREN, context=LEVELS, key="trigger.levels") -> bool:
    return criteria_match({key: {"type": "search", "condition": condition, "pattern": pattern}}, context)


def test_search_any():
    """any: some item matches every child criterion."""
    assert search("any") is True  # 45
    assert search("any", {**BOTH_CHILDREN, "item.value#3": {"type": "eq", "pattern": 46}}) is False


def test_search_all():
    """all: every item matches every child criterion."""
    assert search("all") is False  # 20 fails > 40
    assert search("all", {"item.name": {"type": "equals", "pattern": "water"}}) is True


def test_search_any2any():
    """any2any: some item matches some child criterion."""
    assert (
        search(
            "any2any", {"item.value#1": {"type": "gt", "pattern": 44}, "item.value#2": {"type": "gt", "pattern": 99}}
        )
        is True
    )
    assert (
        search(
            "any2any", {"item.value#1": {"type": "gt", "pattern": 98}, "item.value#2": {"type": "gt", "pattern": 99}}
        )
        is False
    )


def test_search_all2any():
    """all2any: every item matches some child criterion."""
    children = {"item.value#1": {"type": "gt", "pattern": 40}, "item.value#2": {"type": "lt", "pattern": 30}}
    assert search("all2any", children) is True
    children["item.value#2"]["pattern"] = 10
    assert search("all2any", children) is False


def test_search_condition_is_case_insensitive_and_dict_is_one_item():
    """Condition names ignore case; a dict value is searched as a one-item list."""
    assert search("ANY") is True
    context = {"event": {"payload": {"levels": {"name": "water", "value": 45}}}}
    assert search("all", context=context) is True


def test_search_on_missing_or_scalar_value_does_not_match():
    """Searching a missing path or a non-list does not match."""
    assert search("any", key="trigger.absent") is False
    assert search("any", context={"event": {"payload": {"levels": "text"}}}) is False


def test_search_nested():
    """A child criterion can itself be a search."""
    context = {"event": {"payload": {"groups": [{"members": [{"n": 1}, {"n": 7}]}]}}}
    inner = {"item.n": {"type": "gt", "pattern": 5}}
    pattern = {"item.members": {"type": "search", "condition": "any", "pattern": inner}}
    assert search("any", pattern, context, "trigger.groups") is True
    inner["item.n"]["pattern"] = 9
    assert search("any", pattern, context, "trigger.groups") is False


@pytest.mark.parametrize(
    ("condition", "pattern", "reason"),
    [
        ("some", BOTH_CHILDREN, "not one of"),
        ("", BOTH_CHILDREN, "not one of"),
        ("any", "item.value", "must map"),
        ("any", {}, "must map"),
    ],
)
def test_search_errors(condition, pattern, reason):
    """Unknown conditions and malformed search patterns raise CriteriaError."""
    with pytest.raises(CriteriaError, match=reason) as info:
        search(condition, pattern)
    assert info.value.key == "trigger.levels" and info.value.operator == "search"


# --- templated patterns ---------------------------------------------------------


def render_with_context(pattern):
    return render(pattern, CONTEXT)


def test_templated_patterns_are_rendered():
    """render_pattern renders each pattern with the rule context, keeping types."""
    criteria = {"trigger.total": {"type": "gt", "pattern": "{{ limit }}"}}
    assert criteria_match(criteria, CONTEXT, render_pattern=render_with_context) is True
    criteria["trigger.total"]["pattern"] = "{{ limit * 2 }}"
    assert criteria_match(criteria, CONTEXT, render_pattern=render_with_context) is False
    list_pattern = {"trigger.country": {"type": "inside", "pattern": ["{{ 'D' ~ 'E' }}", "FR"]}}
    assert criteria_match(list_pattern, CONTEXT, render_pattern=render_with_context) is True


def test_search_child_patterns_are_rendered():
    """Child patterns of a search are rendered too."""
    pattern = {"item.value": {"type": "gt", "pattern": "{{ 40 }}"}}
    criteria = {"trigger.levels": {"type": "search", "condition": "any", "pattern": pattern}}
    assert criteria_match(criteria, LEVELS, render_pattern=lambda p: render(p, {})) is True


def test_templates_are_not_rendered_without_a_renderer():
    """Without render_pattern a template pattern is compared literally."""
    assert match("trigger.total", "equals", "{{ 1500 }}") is False


def test_render_errors_become_criteria_errors():
    """A pattern that fails to render raises CriteriaError naming the key."""
    criteria = {"trigger.total": {"type": "gt", "pattern": "{{ missing }}"}}
    with pytest.raises(CriteriaError, match="trigger.total.*'missing' is undefined"):
        criteria_match(criteria, CONTEXT, render_pattern=render_with_context)


# --- errors ---------------------------------------------------------------------


def test_unknown_operator():
    """An unknown operator raises CriteriaError naming the key and the operator."""
    with pytest.raises(CriteriaError) as info:
        match("trigger.total", "bigger", 1)
    assert str(info.value) == "criterion 'trigger.total' (bigger): unknown operator"
    assert info.value.key == "trigger.total" and info.value.operator == "bigger"


@pytest.mark.parametrize("spec", ["gt", {"pattern": 1}, {"type": 5}, None])
def test_malformed_criterion(spec):
    """A criterion that is not {type, pattern} raises CriteriaError naming the key."""
    with pytest.raises(CriteriaError, match="criterion 'trigger.total'.*'type'"):
        criteria_match({"trigger.total": spec}, CONTEXT)


@pytest.mark.parametrize("operator", ["regex", "iregex", "matchregex"])
def test_bad_regex(operator):
    """An invalid regular expression raises CriteriaError naming key and operator."""
    with pytest.raises(CriteriaError, match=rf"'trigger.name' \({operator}\): invalid regular expression"):
        match("trigger.name", operator, "(unclosed")


def test_bad_timediff_pattern():
    """A time difference that is not a number of seconds raises CriteriaError."""
    with pytest.raises(CriteriaError, match="number of seconds"):
        match("trigger.recent", "timediff_lt", "soon")


def test_malformed_path():
    """A key that cannot be parsed as a path raises CriteriaError."""
    with pytest.raises(CriteriaError, match="cannot parse path"):
        match("trigger.headers['unclosed", "exists")


def test_criteria_error_is_picklable():
    """CriteriaError survives pickling (errors cross process boundaries)."""
    import pickle

    error = pickle.loads(pickle.dumps(CriteriaError("k", "eq", "bad")))
    assert (error.key, error.operator, str(error)) == ("k", "eq", "criterion 'k' (eq): bad")

"""The expression/template engine: types, semantics, functions, errors, sandbox and caps."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.core.expressions import (
    ExpressionError,
    check_syntax,
    evaluate,
    is_template,
    render,
    render_text,
    truthy,
)

CONTEXT = {
    "x": 3,
    "name": "World",
    "event": {
        "payload": {
            "total": 1500,
            "tags": ["vip", "new"],
            "items": [1, 2, 3],
            "headers": {"X-Foo": "bar"},
            "nothing": None,
            "injected": "{{ 7 * 7 }}",
            "ssti": "{{ ''.__class__.__mro__ }}",
        }
    },
}


def ev(expression: str, **extra):
    return evaluate(expression, {**CONTEXT, **extra})


# --- type preservation and rendering -------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ x }}", 3),
        ("{{ 2.5 }}", 2.5),
        ("{{ [1, x] }}", [1, 3]),
        ("{{ {'a': x} }}", {"a": 3}),
        ("{{ none }}", None),
        ("{{ null }}", None),
        ("{{ true }}", True),
        ("{{ False }}", False),
        ("{{ event.payload.items }}", [1, 2, 3]),
        ("  {{ x }}\n", 3),
    ],
)
def test_single_expression_keeps_its_type(template, expected):
    """A string that is exactly one {{ expr }} yields the native value, surrounding whitespace allowed."""
    result = render(template, CONTEXT)
    assert result == expected and type(result) is type(expected)


def test_single_expression_string_result_is_never_literal_evaled():
    """A string that looks like a list stays a string (no literal_eval of text results)."""
    assert render("{{ '[1, 2]' }}", CONTEXT) == "[1, 2]"
    assert render("{{ s }}", {"s": "42"}) == "42"


def test_mixed_text_renders_to_string():
    """Text around expressions gives a string."""
    assert render("Hello {{ name }}, x={{ x }}", CONTEXT) == "Hello World, x=3"


def test_two_expressions_are_not_a_single_expression():
    """'{{ a }} + {{ b }}' is text, not one expression."""
    assert render("{{ x }} + {{ x }}", CONTEXT) == "3 + 3"
    assert render("{{ x }}{{ x }}", CONTEXT) == "33"


def test_mixed_text_prints_json_spellings():
    """Inside text, true/null/lists/maps print as JSON, not Python reprs."""
    assert render("{{ true }}/{{ none }}/{{ [1, 'a'] }}/{{ {'k': false} }}!", {}) == 'true/null/[1, "a"]/{"k": false}!'


def test_statements_render_to_string():
    """{% %} blocks render to text."""
    assert render("{% for i in event.payload.items %}{{ i }},{% endfor %}", CONTEXT) == "1,2,3,"
    assert render("{% if x > 2 %}big{% else %}small{% endif %}", CONTEXT) == "big"


def test_plain_strings_and_scalars_pass_through():
    """Strings without markers are returned as is; other scalars pass through."""
    for value in ("plain", "", "{ not a template }", "50% {x}", 5, 2.5, None, True):
        assert render(value, CONTEXT) is value


def test_recursion_into_dicts_and_lists():
    """Dict values and list items are rendered; dict keys are not."""
    value = {"{{ x }}": ["{{ x }}", {"n": "n={{ x }}"}, 7], "t": ("{{ x }}",)}
    assert render(value, CONTEXT) == {"{{ x }}": [3, {"n": "n=3"}, 7], "t": (3,)}


def test_context_data_is_never_rendered():
    """Template text inside the context stays literal (no double rendering)."""
    assert render("{{ event.payload.injected }}", CONTEXT) == "{{ 7 * 7 }}"
    assert render("got: {{ event.payload.ssti }}", CONTEXT) == "got: {{ ''.__class__.__mro__ }}"
    assert render({"a": "{{ event.payload }}"}, CONTEXT)["a"]["injected"] == "{{ 7 * 7 }}"


def test_render_text_always_returns_a_string():
    """render_text prints even a single expression."""
    assert render_text("{{ x }}", CONTEXT) == "3"
    assert render_text("{{ [1, 2] }}", CONTEXT) == "[1, 2]"
    assert render_text("plain", CONTEXT) == "plain"
    assert render_text("a {{ x }}", CONTEXT) == "a 3"


def test_trailing_newline_is_kept():
    """A multi-line template keeps its final newline."""
    assert render("echo {{ x }}\n", CONTEXT) == "echo 3\n"


def test_is_template():
    """Only {{ and {% mark a template."""
    assert is_template("a {{ b }}") and is_template("{% if a %}{% endif %}")
    assert not is_template("a { b }") and not is_template("%} }}")


@pytest.mark.parametrize("value", [None, False, 0, 0.0, "", [], {}])
def test_truthy_false_values(value):
    """null, false, 0, "", [] and {} are falsy."""
    assert truthy(value) is False


@pytest.mark.parametrize("value", [True, 1, -1, "0", "false", [0], {"a": None}])
def test_truthy_true_values(value):
    """Everything else is truthy, including the strings "0" and "false"."""
    assert truthy(value) is True


# --- evaluate and semantics -----------------------------------------------------


def test_evaluate_bare_and_wrapped_expressions():
    """evaluate accepts a bare expression or one in {{ }}."""
    assert ev('event.payload.total > 1000 or "vip" in event.payload.tags') is True
    assert ev("{{ x * 2 }}") == 6
    assert ev("  x + 1  ") == 4


def test_evaluate_rejects_text_templates():
    """evaluate wants one expression, not a text template."""
    with pytest.raises(ExpressionError, match="single expression"):
        ev("{{ x }} and {{ x }}")


def test_evaluate_constant_non_strings():
    """A non-string 'expression' (YAML when: true) is a constant."""
    assert evaluate(True, {}) is True


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("true", True),
        ("false", False),
        ("null", None),
        ("none", None),
        ("True", True),
        ("None", None),
        ('"3" == 3', False),
        ("3 == 3.0", True),
        ("7 // 2", 3),
        ("7 % 3", 1),
        ("2 ** 10", 1024),
        ("10 / 5", 2),
        ("10 / 4", 2.5),
        ("-x", -3),
        ("[1, [2, {'a': 1}]] == [1, [2, {'a': 1}]]", True),
        ("{'a': [1]} == {'a': [2]}", False),
        ("2 in [1, 2]", True),
        ("'k' in {'k': 1}", True),
        ("'ell' in 'hello'", True),
        ("event.payload.items[-1]", 3),
        ("event.payload['headers']['X-Foo']", "bar"),
        ("event.payload.headers['X-Foo']", "bar"),
        ("event.payload.nothing", None),
        ("not event.payload.nothing", True),
        ("x > 1 and x < 5", True),
        ("'a' ~ 1", "a1"),
        ("x | default(1)", 3),
        ("missing | default(1)", 1),
        ("missing is defined", False),
        ("'abc' | upper", "ABC"),
        ("[3, 1, 2] | sort | first", 1),
        ("{'a': 1} | tojson", '{"a": 1}'),
    ],
)
def test_expression_semantics(expression, expected):
    """Literals, comparisons, arithmetic, membership, indexing and Jinja filters."""
    result = ev(expression)
    assert result == expected
    assert type(result) is type(expected)


def test_integer_arithmetic_stays_integer():
    """Integer operations give ints; / gives an int only when it divides evenly."""
    assert type(ev("10 / 5")) is int and type(ev("3 * 4 - 2")) is int
    assert type(ev("10 / 4")) is float


def test_dict_keys_win_over_dict_methods():
    """event.payload.items is the payload's 'items' key, not dict.items."""
    assert ev("event.payload.items") == [1, 2, 3]
    assert ev("d.keys", d={"keys": "mine"}) == "mine"


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ('"a" + 1', "concatenate"),
        ("1 / 0", "division by zero"),
        ("1 // 0", "division by zero"),
        ("1 % 0", "division by zero"),
        ("true + 1", "bool"),
        ("1 < 'a'", "not supported"),
        ("1 in 'abc'", "requires string"),
    ],
)
def test_no_implicit_coercion(expression, reason):
    """Type mismatches and division by zero are errors, not coercions."""
    with pytest.raises(ExpressionError, match=reason):
        ev(expression)


def test_caller_supplied_functions_are_callable():
    """Functions in the context (result(), succeeded() …) can be called."""
    context = {"result": lambda: {"ok": True, "n": 2}, "succeeded": lambda: True, "task_status": lambda n: n.upper()}
    assert evaluate("result().n + 1", context) == 3
    assert evaluate("succeeded() and task_status('a') == 'A'", context) is True
    assert render({"v": "{{ result() }}"}, context) == {"v": {"ok": True, "n": 2}}


def test_caller_errors_surface_as_expression_errors():
    """An exception raised by a caller function becomes an ExpressionError naming it."""

    def boom():
        raise KeyError("no such task")

    with pytest.raises(ExpressionError, match="KeyError"):
        evaluate("boom()", {"boom": boom})


def test_a_function_is_not_a_value():
    """Returning a callable instead of calling it is an error."""
    with pytest.raises(ExpressionError, match="not a value"):
        evaluate("result", {"result": lambda: 1})


# --- functions ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("string(5)", "5"),
        ("string(true)", "true"),
        ("string(null)", "null"),
        ("string([1, 'a'])", '[1, "a"]'),
        ("number('42')", 42),
        ("number('4.5')", 4.5),
        ("int('4.7')", 4),
        ("int(4.7)", 4),
        ("int('ff', 16)", 255),
        ("bool([])", False),
        ("bool('x')", True),
        ("type_of(1)", "number"),
        ("type_of(1.5)", "number"),
        ("type_of('s')", "string"),
        ("type_of(true)", "bool"),
        ("type_of(null)", "null"),
        ("type_of([1])", "array"),
        ("type_of({})", "object"),
        ("length('abc')", 3),
        ("length([1, 2])", 2),
        ("length({'a': 1})", 1),
        ("keys({'a': 1, 'b': 2})", ["a", "b"]),
        ("values({'a': 1, 'b': 2})", [1, 2]),
        ("abs(-3)", 3),
        ("floor(2.7)", 2),
        ("ceil(2.1)", 3),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(2.675, 2)", 2.68),
        ("min([3, 1, 2])", 1),
        ("min(3, 1, 2)", 1),
        ("max([3, 1, 2])", 3),
        ("max(3, 7)", 7),
        ("sum([1, 2, 3.5])", 6.5),
        ("lower('AbC')", "abc"),
        ("upper('AbC')", "ABC"),
        ("trim('  a b  ')", "a b"),
        ("trim('xxaxx', 'x')", "a"),
        ("split('a,b,c', ',')", ["a", "b", "c"]),
        ("split('a b  c')", ["a", "b", "c"]),
        ("join(['a', 1, true], '-')", "a-1-true"),
        ("replace('a-b-c', '-', '+')", "a+b+c"),
        ("starts_with('hello', 'he')", True),
        ("starts_with('hello', ['x', 'h'])", True),
        ("ends_with('hello', 'lo')", True),
        ("match('order-123', '\\\\d+$')", True),
        ("match('ORDER', 'order')", False),
        ("match('ORDER', 'order', ignore_case=true)", True),
        ("contains('hello', 'ell')", True),
        ("contains([1, 2], 3)", False),
        ("contains({'a': 1}, 'a')", True),
        ("reversed('abc')", "cba"),
        ("reversed([1, 2, 3])", [3, 2, 1]),
        ("reversed({'a': 1, 'b': 2})", {"b": 2, "a": 1}),
        ("sort([3, 1, 2])", [1, 2, 3]),
        ("sort([{'n': 2}, {'n': 1}], 'n')", [{"n": 1}, {"n": 2}]),
        ("sort(['b', 'a'], reverse=true)", ["b", "a"]),
        ("unique([1, 2, 1, [3], [3]])", [1, 2, [3]]),
        ("flat([1, [2, [3]], 4])", [1, 2, [3], 4]),
        ("flat([1, [2, [3]]], 2)", [1, 2, 3]),
        ("zip([1, 2], ['a', 'b'])", [[1, "a"], [2, "b"]]),
        ("range(3)", [0, 1, 2]),
        ("range(1, 7, 2)", [1, 3, 5]),
        ("slice([1, 2, 3, 4], 1, 3)", [2, 3]),
        ("slice('hello', -3)", "llo"),
        ("index_of([1, 2, 3], 2)", 1),
        ("index_of([1, 2, 3], 9)", -1),
        ("index_of('hello', 'l')", 2),
        ("count([1, 2, 1], 1)", 2),
        ("count('banana', 'a')", 3),
        ("merge({'a': 1, 'b': 1}, {'b': 2})", {"a": 1, "b": 2}),
        ("merge({'a': {'x': 1}}, {'a': {'y': 2}}, deep=true)", {"a": {"x": 1, "y": 2}}),
        ("chunks([1, 2, 3, 4, 5], 2)", [[1, 2], [3, 4], [5]]),
        ("to_json({'a': [1, null]})", '{"a": [1, null]}'),
        ("from_json('{\"a\": [1, null]}')", {"a": [1, None]}),
        ("to_yaml({'a': 1})", "a: 1\n"),
        ("from_yaml('a: [1, 2]')", {"a": [1, 2]}),
    ],
)
def test_functions(expression, expected):
    """Every global function, with its documented result and type."""
    result = ev(expression)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    "expression",
    [
        "number('abc')",
        "length(5)",
        "keys([1])",
        "lower(1)",
        "min([])",
        "chunks([1], 0)",
        "from_json('{')",
        "from_yaml('a: &x 1\\nb: *x')",
        "sum([1, 'a'])",
        "abs('1')",
    ],
)
def test_function_errors(expression):
    """Functions refuse wrong types with an ExpressionError."""
    with pytest.raises(ExpressionError):
        ev(expression)


# --- errors ---------------------------------------------------------------------


def test_missing_name_error_names_it_and_the_expression():
    """Using a missing name is an error whose message names the name and the expression."""
    with pytest.raises(ExpressionError) as info:
        render("{{ foo.bar }}", CONTEXT)
    assert str(info.value) == "'foo' is undefined in expression \"{{ foo.bar }}\""
    assert info.value.expression == "{{ foo.bar }}" and "'foo' is undefined" in info.value.reason


@pytest.mark.parametrize(
    "template", ["{{ foo }}", "{{ [foo] }}", "{{ {'a': foo} }}", "a {{ foo }}", "{% if foo %}{% endif %}"]
)
def test_missing_name_is_an_error_everywhere(template):
    """A bare or nested undefined name raises instead of yielding Undefined or ''."""
    with pytest.raises(ExpressionError, match="'foo' is undefined"):
        render(template, CONTEXT)


def test_missing_key_names_the_key():
    """A missing dict key names the key."""
    with pytest.raises(ExpressionError, match="nope"):
        render("{{ event.payload.nope }}", CONTEXT)


@pytest.mark.parametrize("text", ["{{ x ", "{{ x + }}", "{% if x %}", "{{ x | nosuchfilter }}", "{% endfor %}"])
def test_syntax_errors(text):
    """Syntax errors raise ExpressionError from check_syntax and render."""
    with pytest.raises(ExpressionError, match="syntax error"):
        check_syntax(text)
    with pytest.raises(ExpressionError):
        render(text, CONTEXT)


def test_check_syntax_accepts_valid_text_without_evaluating():
    """check_syntax compiles only: undefined names are fine."""
    check_syntax("{{ undefined_thing.x }} and {% for a in b %}{% endfor %}")
    check_syntax("plain text")
    check_syntax("a.b > 3", expression=True)
    with pytest.raises(ExpressionError):
        check_syntax("a.b >", expression=True)


def test_expression_error_is_picklable():
    """ExpressionError survives pickling (errors cross process boundaries)."""
    import pickle

    error = pickle.loads(pickle.dumps(ExpressionError("{{ a }}", "'a' is undefined")))
    assert error.expression == "{{ a }}" and str(error) == "'a' is undefined in expression \"{{ a }}\""


# --- sandbox and caps -----------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ dict.mro() }}",
        "{{ range.__globals__ }}",
        "{{ self.__dict__ }}",
        "{{ config }}",
        "{{ request }}",
        "{{ '{0.__class__}'.format(1) }}",
        "{{ '{a.__class__.__mro__}'.format_map({'a': 1}) }}",
        "{{ 'a'|attr('format') }}",
        "{{ ('{0.__class__.__mro__}'|attr('format'))(1) }}",
        "{{ 'a'|attr('__class__') }}",
        "{{ event.payload.tags.append(1) }}",
        "{{ event.payload.headers.update({'a': 1}) }}",
        "{{ 'a'.translate({97: 'bb'}) }}",
        "{% include 'x.html' %}",
        "{% import 'x.html' as x %}",
        "{% from 'x.html' import y %}",
        "{% extends 'x.html' %}",
    ],
)
def test_ssti_payloads_are_blocked(payload):
    """Classic sandbox-escape payloads raise ExpressionError."""
    with pytest.raises(ExpressionError):
        render(payload, CONTEXT)


@pytest.mark.parametrize(
    "payload",
    [
        "{{ range(10**9)|list }}",
        "{{ range(100001) }}",
        "{{ 'a' * 10**9 }}",
        "{{ 10**9 * 'a' }}",
        "{{ [1] * 10**9 }}",
        "{{ ['a' * 1000000] * 2 }}",
        "{{ 'a' * 600000 + 'b' * 600000 }}",
        "{{ 2 ** (10**9) }}",
        "{{ (2 ** 60000) * (2 ** 60000) }}",
        "{{ '%0999999999d' % 1 }}",
        "{{ '%*d' % (10, 1) }}",
        "{{ '%(a)s%(a)s' % {'a': 'a' * 1000000} }}",
        "{{ '{:>999999999}'.format(1) }}",
        "{{ '{:{w}}'.format(1, w=5) }}",
        "{{ '{0}{0}'.format('a' * 1000000) }}",
        "{{ 'a'.ljust(10**9) }}",
        "{{ 'a'.center(10**9) }}",
        "{{ 'a'.zfill(10**9) }}",
        "{{ '\\t'.expandtabs(10**9) }}",
        "{{ ('x' * 1000).join(range(2000)|map('string')) }}",
        "{{ ('a' * 1000).replace('a', 'b' * 2000) }}",
        "{{ 'a'|center(10**9) }}",
        "{{ 'a\\nb'|indent(10**9) }}",
        "{{ '%0999999999d'|format(1) }}",
        "{{ [1]|batch(10**9, 0)|list }}",
        "{{ [1]|slice(10**9, 0)|list }}",
        "{{ (['a' * 1000] * 1000)|join('x' * 2000) }}",
        "{{ ('a' * 1000)|replace('a', 'b' * 2000) }}",
        "{{ replace('a' * 1000, 'a', 'b' * 2000) }}",
        "{{ join(['a' * 1000] * 1000, 'x' * 2000) }}",
    ],
)
def test_resource_caps(payload):
    """Amplifying operations refuse huge results before building them."""
    with pytest.raises(ExpressionError, match="too large|not allowed|nested"):
        render(payload, CONTEXT)


def test_deep_loop_times_out():
    """A loop that would run far longer than the deadline is stopped."""
    started = time.monotonic()
    with pytest.raises(ExpressionError, match="timed out"):
        render(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            CONTEXT,
            timeout=0.2,
        )
    assert time.monotonic() - started < 2


def test_recursive_macro_is_stopped():
    """Unbounded and exponential macro recursion both fail."""
    with pytest.raises(ExpressionError):
        render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", CONTEXT)
    with pytest.raises(ExpressionError, match="timed out"):
        render(
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
            CONTEXT,
            timeout=0.2,
        )


def test_deadline_works_in_worker_threads():
    """The deadline is not signal based: it stops a render in a non-main thread."""
    errors: list[Exception] = []

    def work():
        try:
            render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", {}, timeout=0.1)
        except ExpressionError as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert not thread.is_alive() and errors and "timed out" in str(errors[0])


def test_output_cap():
    """Rendered text longer than max_output is refused."""
    with pytest.raises(ExpressionError, match="output too large"):
        render("{% for i in range(100) %}xxxxxxxxxx{% endfor %}", {}, max_output=500)
    with pytest.raises(ExpressionError, match="output too large"):
        render_text("{{ 'a' * 100 }}", {}, max_output=50)
    assert len(render("{% for i in range(10) %}x{% endfor %}", {}, max_output=10)) == 10


def test_moderate_sizes_are_allowed():
    """The caps leave room for ordinary work."""
    assert len(ev("range(100000)")) == 100000
    assert len(ev("'ab' * 1000")) == 2000
    assert ev("'%05d' % 42") == "00042"
    assert ev("'{:>5}'.format('a')") == "    a"
    assert ev("2 ** 100") == 1267650600228229401496703205376


# --- property tests -------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def _has_markers(value) -> bool:
    if isinstance(value, str):
        return is_template(value)
    if isinstance(value, list):
        return any(_has_markers(v) for v in value)
    if isinstance(value, dict):
        return any(_has_markers(v) for v in value.values())
    return False


@given(json_values)
def test_values_without_markers_render_to_themselves(value):
    """Any JSON value without template markers renders to an equal value."""
    if not _has_markers(value):
        assert render(value, {}) == value


@given(json_values)
def test_single_expression_returns_context_value_unchanged(value):
    """'{{ v }}' returns exactly the context value v, whatever its type and content."""
    assert render("{{ v }}", {"v": value}) == value

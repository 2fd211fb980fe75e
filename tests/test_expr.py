"""Tests of the safe expression language (specc/expr.py)."""

from __future__ import annotations

import ast
import builtins
import functools
import math
import pickle
import sys
import tracemalloc
from collections import ChainMap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import specc.lang.expr as expr_module
from specc.lang.expr import (
    MAX_INT_BITS,
    MAX_NESTING,
    MAX_STR_LEN,
    Compiled,
    ExprError,
    Value,
    compile_expression,
    compile_value,
    to_text,
)

ENV: dict[str, Value] = {"a": 3, "b": -2, "x": 1.5, "t": True, "f": False, "s": "ab", "i": 7}


def ev(text: str, env: Mapping[str, Value] | None = None) -> Value:
    return compile_expression(text).evaluate(ENV if env is None else env)


def err(text: str, env: Mapping[str, Value] | None = None, *, value: bool = False) -> ExprError:
    """The ExprError of compiling and evaluating `text`."""
    with pytest.raises(ExprError) as info:
        c = compile_value(text) if value else compile_expression(text)
        c.evaluate(ENV if env is None else env)
    e = info.value
    assert 0 <= e.offset <= len(text)
    return e


@dataclass
class Peak:
    bytes: int = 0


@contextmanager
def allocation_peak() -> Iterator[Peak]:
    """The most memory allocated at once inside the block (tracemalloc): work
    counted, where a wall-clock bound would flake on a loaded machine."""
    peak = Peak()
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak.bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def same(actual: Value, expected: Value) -> None:
    """Equal and of the same type (1 != 1.0 != True here)."""
    assert type(actual) is type(expected), (actual, expected)
    if isinstance(expected, float) and math.isnan(expected):
        assert isinstance(actual, float) and math.isnan(actual)
    else:
        assert actual == expected


# ------------------------------------------------------------------ operators


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 + 2", 3),
        ("7 - 10", -3),
        ("6 * 7", 42),
        ("7 / 2", 3.5),
        ("6 / 3", 2.0),
        ("7 // 2", 3),
        ("-7 // 2", -4),
        ("7 // -2", -4),
        ("7 % 3", 1),
        ("-7 % 3", 2),
        ("7 % -3", -2),
        ("7.5 // 2", 3.0),
        ("7.5 % 2", 1.5),
        ("2 ** 10", 1024),
        ("2 ** 0", 1),
        ("2 ** -1", 0.5),
        ("2.0 ** 3", 8.0),
        ("4 ** 0.5", 2.0),
        ("(-8) ** 3", -512),
        ("(-8.0) ** 2.0", 64.0),
        ("1 + 1.5", 2.5),
        ("2 * 1.5", 3.0),
        ("3 - 1.0", 2.0),
        ("+3", 3),
        ("-3", -3),
        ("- -3", 3),
        ("--3", 3),
        ("-+-3", 3),
        ("-1.5", -1.5),
        # precedence and associativity, as Python's
        ("-2 ** 2", -4),
        ("(-2) ** 2", 4),
        ("2 ** 3 ** 2", 512),
        ("(2 ** 3) ** 2", 64),
        ("2 ** -2 ** 2", 0.0625),
        ("-2 ** -2", -0.25),
        ("2 * 3 ** 2", 18),
        ("2 ** 3 * 2", 16),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("10 - (4 - 3)", 9),
        ("100 / 10 / 5", 2.0),
        ("2 * 3 // 4", 1),
        ("2 * (3 // 4)", 0),
        ("17 % 5 * 2", 4),
        ("1 + 5 % 3", 3),
        ("10 - 7 % 4", 7),
        ("2 + 3 * 4 ** 2 // 5 % 7", 4),
        ("1 - -1", 2),
        ("2 * -3", -6),
        ("-3 + 5", 2),
        ("1+2*3-4//2", 5),
        ("$a * 4 + 1", 13),
        ("4 * $a", 12),
        ("$a // $b", -2),
        ("$a ** 2", 9),
        ("$x * 2", 3.0),
        ("a * 4 + 1", 13),
        ("((((1))))", 1),
    ],
)
def test_arithmetic(text: str, expected: Value) -> None:
    same(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 < 2", True),
        ("2 < 1", False),
        ("1 <= 1", True),
        ("1 > 2", False),
        ("2 >= 2", True),
        ("1 == 1", True),
        ("1 != 1", False),
        ("1 == 1.0", True),
        ("0.5 < 1", True),
        ("1 < 2 < 3", True),
        ("1 < 3 < 2", False),
        ("3 > 2 >= 2", True),
        ("1 < 2 == 2 < 3", True),
        ("1 < $a <= 3", True),
        ("1 < $a < 3", False),
        ("'a' < 'b'", True),
        ("'a' == 'a'", True),
        ("'a' != 'b'", True),
        ("$s == 'ab'", True),
        ("true == true", True),
        ("true != false", True),
        ("$t == true", True),
        # like Python, a chain stops at the first false link
        ("2 < 1 < 'a'", False),
        # comparisons bind tighter than not, not tighter than and, and than or
        ("not 1 == 2", True),
        ("not true and false", False),
        ("not (true and false)", True),
        ("true or true and false", True),
        ("(true or true) and false", False),
        ("false and true or true", True),
        ("true and false", False),
        ("true and true", True),
        ("false or false", False),
        ("false or true", True),
        ("not false", True),
        ("not not true", True),
        ("1 + 1 == 2 and 3 > 2", True),
        ("$t and not $f", True),
        ("true and true and false", False),
        ("false or false or true", True),
    ],
)
def test_comparisons_and_logic(text: str, expected: bool) -> None:
    same(ev(text), expected)


def test_and_or_short_circuit() -> None:
    same(ev("false and 1 // 0 == 0"), False)
    same(ev("true or $missing"), True)
    same(ev("$a > 0 and 10 // $a == 3"), True)
    same(ev("$a == 0 or 10 // $a == 3"), True)
    # the skipped branch still counts for static checks
    assert compile_expression("true or $missing").names == frozenset({"missing"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("max(1, 2.5)", 2.5),
        ("min(1, 2.5)", 1),
        ("min(4)", 4),
        ("max(4.5)", 4.5),
        ("max(1, 2,)", 2),
        ("abs(-3)", 3),
        ("abs(3)", 3),
        ("abs(-2.5)", 2.5),
        ("max($a, 2) * 3", 9),
        ("min($a, $b) + abs($b)", 0),
        ("max(min(1, 2), abs(-5), 3)", 5),
        ("-abs(-2) ** 2", -4),
    ],
)
def test_calls(text: str, expected: Value) -> None:
    same(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'a' + 'b'", "ab"),
        ('"a" + "b"', "ab"),
        ("'ab' * 3", "ababab"),
        ("3 * 'ab'", "ababab"),
        ("'ab' * 0", ""),
        ("'ab' * -2", ""),
        ("$s + '_' + $s", "ab_ab"),
        ("$s * $a", "ababab"),
        ("'it\\'s'", "it's"),
        ('"say \\"hi\\""', 'say "hi"'),
        ("'a\\\\b'", "a\\b"),
        ("'a\\nb\\tc'", "a\nb\tc"),
        ("'$x'", "$x"),
        ("'}'", "}"),
        ("''", ""),
    ],
)
def test_strings(text: str, expected: str) -> None:
    same(ev(text), expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        ("1.5", 1.5),
        ("1e-4", 1e-4),
        ("1E3", 1000.0),
        ("1.5e+2", 150.0),
        (".5", 0.5),
        ("2.", 2.0),
        ("true", True),
        ("false", False),
        ("  7  ", 7),
        ("1\n+\t2", 3),
    ],
)
def test_literals(text: str, expected: Value) -> None:
    same(ev(text), expected)


# ------------------------------------------------------------ value classification


@pytest.mark.parametrize("text", ["4 * 3", "glorot_uniform", "", "a b c", "  spaced  ", "1 / 0"])
def test_plain_strings_are_untouched(text: str) -> None:
    c = compile_value(text)
    assert c.is_literal
    assert c.kind == "literal"
    assert c.names == frozenset()
    assert c.source == text
    same(c.evaluate({}), text)


@pytest.mark.parametrize("value", [3, True, False, 1.5, "glorot_uniform", 0, 2**100])
def test_whole_name_keeps_type(value: Value) -> None:
    for text in ("$v", "  $v ", "\t$v\n"):
        c = compile_value(text)
        assert c.kind == "name"
        assert not c.is_literal
        assert c.names == frozenset({"v"})
        same(c.evaluate({"v": value}), value)


def test_bare_expression_classification() -> None:
    c = compile_value("4 * $hidden")
    assert c.kind == "expression"
    assert not c.is_literal
    assert c.names == frozenset({"hidden"})
    same(c.evaluate({"hidden": 512}), 2048)
    same(compile_value("max($heads, 2) * 3").evaluate({"heads": 8}), 24)
    same(compile_value("$dim // $heads").evaluate({"dim": 512, "heads": 8}), 64)
    same(compile_value("$a == 3").evaluate(ENV), True)
    # bare names are accepted beside $names
    same(compile_value("$a + i").evaluate(ENV), 10)


def test_compile_expression_without_dollar() -> None:
    same(compile_expression("1 + 2").evaluate({}), 3)
    same(compile_expression("layers * 2").evaluate({"layers": 6}), 12)
    same(compile_expression("true").evaluate({}), True)
    same(compile_expression("$n > 2").evaluate({"n": 3}), True)
    c = compile_expression("4 * 3")
    assert c.kind == "expression" and not c.is_literal


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("layer_${i}", {"i": 0}, "layer_0"),
        ("layer_${$i}", {"i": 12}, "layer_12"),
        ("${$i + 1}", {"i": 1}, "2"),
        ("${i + 1}", {"i": 1}, "2"),
        ("${i}", {"i": 5}, "5"),
        ("${i}_${j}", {"i": 1, "j": 2}, "1_2"),
        ("a${i}b${j}c", {"i": 1, "j": 2}, "a1b2c"),
        ("x_${v}", {"v": 0.1}, "x_0.1"),
        ("x_${v}", {"v": 1e-05}, "x_1e-05"),
        ("x_${v}", {"v": 2.0}, "x_2.0"),
        ("x_${v}", {"v": 1e16}, "x_1e+16"),
        ("x_${1 / 2}", {}, "x_0.5"),
        ("flag_${v}", {"v": True}, "flag_true"),
        ("flag_${v}", {"v": False}, "flag_false"),
        ("flag_${1 < 2}", {}, "flag_true"),
        ("act_${v}", {"v": "relu"}, "act_relu"),
        ("${'}'}", {}, "}"),
        ("${ 'a' * 2 }!", {}, "aa!"),
        ("w${-1}", {}, "w-1"),
        ("block${max(i, 2)}", {"i": 1}, "block2"),
        ("  ${i}  ", {"i": 3}, "  3  "),
    ],
)
def test_interpolation(text: str, env: dict[str, Value], expected: str) -> None:
    c = compile_value(text)
    assert c.kind == "interpolation"
    assert not c.is_literal
    same(c.evaluate(env), expected)


def test_interpolation_names() -> None:
    assert compile_value("s${i}_${$j + k}_${3}").names == frozenset({"i", "j", "k"})


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3, "3"),
        (-4, "-4"),
        (0.1, "0.1"),
        (2.0, "2.0"),
        (True, "true"),
        (False, "false"),
        ("x", "x"),
    ],
)
def test_to_text(value: Value, text: str) -> None:
    assert to_text(value) == text


def test_names_are_collected_once() -> None:
    c = compile_expression("$a + b * min($c, 2) + $a")
    assert c.names == frozenset({"a", "b", "c"})
    assert compile_expression("1 + 2").names == frozenset()
    assert compile_value("$w").names == frozenset({"w"})


def test_env_may_be_any_mapping() -> None:
    c = compile_value("$a + $b")
    same(c.evaluate(ChainMap({"a": 1}, {"b": 2})), 3)
    same(c.evaluate(MappingProxyType({"a": 1, "b": 5})), 6)


def test_compiled_object() -> None:
    c = compile_value("$a * 4 + 1")
    assert isinstance(c, Compiled)
    assert c.source == "$a * 4 + 1"
    assert "$a * 4 + 1" in repr(c)


def test_non_finite_inputs_propagate() -> None:
    same(compile_value("$v * 2").evaluate({"v": math.inf}), math.inf)
    same(compile_value("$v + 1").evaluate({"v": math.nan}), math.nan)


# ---------------------------------------------------------------------- errors


def test_unknown_name_message() -> None:
    e = err("1 + $foo", {"bar": 1, "alpha": 2})
    assert e.offset == 4
    assert e.message == "unknown name $foo; known: $alpha, $bar"
    e = err("1 + $heds", {"heads": 1, "dim": 2})
    assert e.message == "unknown name $heds; known: $dim, $heads; did you mean $heads?"
    e = err("2 * hidden", {})
    assert e.offset == 4
    assert e.message == "unknown name $hidden; no names are defined here"
    e = err("$v", {f"n{k:02}": k for k in range(40)}, value=True)
    assert e.offset == 0
    assert "and 10 more" in e.message
    e = err("  $v", {}, value=True)
    assert e.offset == 2
    e = err("x_${i}", {"j": 1}, value=True)
    assert e.offset == 4
    assert e.message == "unknown name $i; known: $j"


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("'a' - 1", 4, "cannot apply '-' to str and int"),
        ("1 - 'a'", 2, "cannot apply '-' to int and str"),
        ("'a' + 1", 4, "cannot apply '+' to str and int"),
        ("true + 1", 5, "cannot apply '+' to bool and int"),
        ("1 + true", 2, "cannot apply '+' to int and bool"),
        ("true * 2", 5, "cannot apply '*' to bool and int"),
        ("true * 'a'", 5, "cannot apply '*' to bool and str"),
        ("'a' * 1.5", 4, "cannot apply '*' to str and float"),
        ("'a' * 'b'", 4, "cannot apply '*' to str and str"),
        ("'a' / 2", 4, "cannot apply '/' to str and int"),
        ("'a' // 2", 4, "cannot apply '//' to str and int"),
        ("'%s' % 2", 5, "cannot apply '%' to str and int"),
        ("'a' ** 2", 4, "cannot apply '**' to str and int"),
        ("$t ** 2", 3, "cannot apply '**' to bool and int"),
        ("-'a'", 0, "cannot apply unary '-' to str"),
        ("1 + -$t", 4, "cannot apply unary '-' to bool"),
        ("+'a'", 0, "cannot apply unary '+' to str"),
        ("not 1", 0, "'not' takes a boolean, not int"),
        ("1 and true", 0, "the operands of 'and' must be booleans, not int"),
        ("true and 'x'", 9, "the operands of 'and' must be booleans, not str"),
        ("false or 2.5", 9, "the operands of 'or' must be booleans, not float"),
        ("true < false", 5, "cannot apply '<' to bool and bool: booleans have no order"),
        ("1 < 'a'", 2, "cannot apply '<' to int and str"),
        ("1 == 'a'", 2, "cannot apply '==' to int and str"),
        ("true == 1", 5, "cannot apply '==' to bool and int"),
        ("1 < 2 < 'a'", 6, "cannot apply '<' to int and str"),
        ("min('a', 'b')", 4, "min() takes numbers, not str"),
        ("max(1, true)", 7, "max() takes numbers, not bool"),
        ("min('a')", 4, "min() takes numbers, not str"),
        ("abs('a')", 4, "abs() takes a number, not str"),
        ("1 + $s", 2, "cannot apply '+' to int and str"),
    ],
)
def test_type_errors(text: str, offset: int, message: str) -> None:
    e = err(text)
    assert (e.offset, e.message) == (offset, message)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("1 / 0", 2, "division by zero"),
        ("1.5 / 0.0", 4, "division by zero"),
        ("1 // 0", 2, "division by zero"),
        ("1.5 // 0", 4, "division by zero"),
        ("1 % 0", 2, "modulo by zero"),
        ("1.5 % 0.0", 4, "modulo by zero"),
        ("$a // ($a - 3)", 3, "division by zero"),
        ("0 ** -1", 2, "division by zero: 0 raised to a negative power"),
        ("0.0 ** -0.5", 4, "division by zero: 0 raised to a negative power"),
    ],
)
def test_division_by_zero(text: str, offset: int, message: str) -> None:
    e = err(text)
    assert (e.offset, e.message) == (offset, message)


def test_errors_in_constants_are_raised_at_evaluation() -> None:
    c = compile_expression("1 + 1 // 0")  # compiles: only syntax errors are compile errors
    with pytest.raises(ExprError) as info:
        c.evaluate({})
    assert info.value.offset == 6


def test_bounds_on_pow_and_ints() -> None:
    same(ev(f"2 ** {MAX_INT_BITS - 1}"), 2 ** (MAX_INT_BITS - 1))
    same(ev(f"(-2) ** {MAX_INT_BITS - 1}"), (-2) ** (MAX_INT_BITS - 1))
    same(ev("1 ** 1000000000000"), 1)
    same(ev("(-1) ** 1000000001"), -1)
    same(ev("0 ** 1000000000000"), 0)
    e = err(f"2 ** {MAX_INT_BITS}")
    assert (e.offset, e.message) == (2, f"the result of '**' has more than {MAX_INT_BITS} bits")
    with allocation_peak() as peak:
        e = err("10 ** 1000000000000000000000")  # refused before computing
    assert peak.bytes < 1 << 20
    assert e.offset == 3
    e = err("2 ** 4000 * 2 ** 4000")
    assert e.message == f"the result of '*' has more than {MAX_INT_BITS} bits"
    assert e.offset == 10
    big = 2 ** (MAX_INT_BITS - 1)
    e = err("$v + $v", {"v": big})
    assert (e.offset, e.message) == (3, f"the result of '+' has more than {MAX_INT_BITS} bits")
    e = err("-$v - $v", {"v": big})
    assert e.message == f"the result of '-' has more than {MAX_INT_BITS} bits"
    e = err("1" * 1300)
    assert e.offset == 0 and "more than 4096 bits" in e.message


def test_float_overflow() -> None:
    e = err("10.0 ** 400")
    assert (e.offset, e.message) == (5, "the result of '**' is too large for a float")
    e = err("10 ** 400.0")
    assert e.message == "the result of '**' is too large for a float"
    e = err("1e308 * 10")
    assert (e.offset, e.message) == (6, "the result of '*' is too large for a float")
    e = err("1e308 + 1e308")
    assert e.message == "the result of '+' is too large for a float"
    e = err("2 ** 4000 / 3 ** 2")  # an int too large for a float
    assert e.message == "the result of '/' is too large for a float"
    e = err("2 ** 4000 * 1.5")
    assert e.message == "the result of '*' is too large for a float"
    e = err("(-8) ** 0.5")
    assert (e.offset, e.message) == (5, "cannot raise a negative number to a fractional power")
    e = err("1e999")
    assert (e.offset, e.message) == (0, "the number 1e999 is too large for a float")
    same(ev("(-8.0) ** 3.0"), -512.0)
    same(ev("2 ** -5000"), 0.0)


def test_bounds_on_strings() -> None:
    n = MAX_STR_LEN // 2
    same(len(str(ev(f"'ab' * {n}"))), MAX_STR_LEN)
    e = err(f"'ab' * {n + 1}")
    assert e.offset == 5
    assert e.message == f"the string from '*' would be longer than {MAX_STR_LEN} characters"
    with allocation_peak() as peak:
        e = err("'a' * 100000000000000000000")  # refused before building
    assert peak.bytes < 1 << 20
    e = err(f"{n + 1} * 'ab'")
    assert e.message.startswith("the string from '*'")
    big = "x" * MAX_STR_LEN
    e = err("$v + 'y'", {"v": big})
    assert (e.offset, e.message) == (
        3,
        f"the string from '+' is longer than {MAX_STR_LEN} characters",
    )
    e = err("${v}${v}", {"v": big}, value=True)
    assert "longer than" in e.message


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("", 0, "expected an expression"),
        ("   ", 3, "expected an expression"),
        ("1 +", 3, "expected an expression"),
        ("(1 + 2", 0, "unclosed '('"),
        ("1 + (2 * (3)", 4, "unclosed '('"),
        ("min(1, 2", 3, "unclosed '('"),
        ("1 + 2)", 5, "unexpected token ')'"),
        ("()", 1, "unexpected token ')'; expected an expression"),
        ("1 2", 2, "unexpected token '2'"),
        ("(1 2)", 3, "unexpected token '2'; expected ')'"),
        ("* 2", 0, "unexpected token '*'; expected an expression"),
        ("1 + * 2", 4, "unexpected token '*'; expected an expression"),
        ("and", 0, "unexpected token 'and'; expected an expression"),
        ("1 + not 2", 4, "'not' must be put in parentheses here"),
        ("1 == not true", 5, "'not' must be put in parentheses here"),
        ("-not true", 1, "'not' must be put in parentheses here"),
        ("$", 0, "expected a name after '$'"),
        ("$ x", 0, "expected a name after '$'"),
        ("$1", 0, "expected a name after '$'"),
        ("'abc", 0, "unterminated string"),
        ("1 + 'abc\\'", 4, "unterminated string"),
        ("'\\q'", 1, "unknown escape '\\q' in a string; use \\\\, \\', \\\", \\n or \\t"),
        ("1 = 2", 2, "unexpected character '='; did you mean '=='?"),
        ("!true", 0, "unexpected character '!'; write 'not' for negation"),
        ("true && false", 5, "unexpected character '&'; write 'and'"),
        ("a.b", 1, "unexpected character '.'; there is no attribute access"),
        ("x[0]", 1, "unexpected character '['; there are no subscripts"),
        ("1 ; 2", 2, "unexpected character ';'"),
        ("foo(1)", 3, "'foo' cannot be called; the only functions are min, max and abs"),
        ("$f(1)", 2, "'$f' cannot be called; the only functions are min, max and abs"),
        ("min", 3, "expected '(' after 'min'"),
        ("max + 1", 4, "expected '(' after 'max'"),
        ("min()", 0, "min() needs at least one argument"),
        ("abs()", 0, "abs() needs at least one argument"),
        ("abs(1, 2)", 0, "abs() takes exactly one argument, not 2"),
        ("min(,)", 4, "unexpected token ','; expected an expression"),
        ("01", 0, "leading zeros are not allowed in an integer: 01"),
        ("1e", 0, "malformed number '1e'"),
        ("1e+", 0, "malformed number '1e+'"),
        ("3x", 0, "malformed number '3x'"),
        ("1.2.3", 0, "malformed number '1.2.3'"),
        # the leftmost problem is the one reported
        (") + a.b", 0, "unexpected token ')'; expected an expression"),
    ],
)
def test_syntax_errors(text: str, offset: int, message: str) -> None:
    with pytest.raises(ExprError) as info:
        compile_expression(text)
    assert (info.value.offset, info.value.message) == (offset, message)


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("layer_${i", 6, "unclosed '${'"),
        ("layer_${(i}", 8, "unclosed '('"),
        ("a_${i}_${", 7, "unclosed '${'"),
        ("x_${}", 2, "empty '${}'; write an expression inside, like ${i}"),
        ("x_${  }", 2, "empty '${}'; write an expression inside, like ${i}"),
        ("a $b ${c}", 2, "a '$' in a string with '${...}' must start a '${...}'; write ${name}"),
        ("${c} $", 5, "a '$' in a string with '${...}' must start a '${...}'; write ${name}"),
        ("x_${1 +}", 7, "expected an expression"),
        ("x_${1 2}", 6, "unexpected token '2'"),
        ("x_${{}}", 4, "unexpected character '{'; braces only appear in '${...}' inside a string"),
        ("$a $b", 3, "unexpected token '$b'"),
        ("4 * $", 4, "expected a name after '$'"),
        ("$a.b", 2, "unexpected character '.'; there is no attribute access"),
    ],
)
def test_value_syntax_errors(text: str, offset: int, message: str) -> None:
    with pytest.raises(ExprError) as info:
        compile_value(text)
    assert (info.value.offset, info.value.message) == (offset, message)


def test_expr_error_is_plain_data() -> None:
    e = ExprError("division by zero", 4)
    assert str(e) == "division by zero"
    assert (e.message, e.offset) == ("division by zero", 4)
    copy = pickle.loads(pickle.dumps(e))
    assert (copy.message, copy.offset) == (e.message, e.offset)


# ------------------------------------------------------------ safety: no Python


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "__import__('os').system('true')",
        "().__class__",
        "().__class__.__bases__[0].__subclasses__()",
        "a.b",
        "$a.__class__",
        "x[0]",
        "[1, 2]",
        "{}",
        "{'a': 1}",
        "lambda: 1",
        "lambda x: x",
        "open('/etc/passwd')",
        "eval('1')",
        "exec('1')",
        "getattr(1, 'real')",
        "x := 1",
        "*a",
        "min(*a)",
        "min(**a)",
        "min(a=1)",
        "'a'.upper()",
        "f'x'",
        "1; 2",
        "1 # comment",
        "0x10",
        "1j",
        "1_000",
        "`1`",
        "a @ b",
        "1 << 2",
        "~1",
        "1 is 1",
        "1 in 2",
        "None",
        "yield 1",
        "await x",
        "print 1",
        "\\x00",
        "\x00",
    ],
)
def test_python_is_not_reachable(text: str) -> None:
    with pytest.raises(ExprError):
        compile_expression(text).evaluate({"a": 1, "x": 1, "b": 2})


def test_no_eval_compile_or_ast_in_the_module() -> None:
    """Inspect the module's own source (not user text) for dynamic evaluation."""
    tree = ast.parse(Path(expr_module.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            assert node.func.id not in {"eval", "exec", "compile", "__import__", "getattr"}
        if isinstance(node, ast.Import):
            assert all(alias.name not in {"ast", "code", "codeop"} for alias in node.names)
        if isinstance(node, ast.ImportFrom):
            assert node.module not in {"ast", "code", "codeop"}


def test_works_without_python_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("Python eval/compile used")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    monkeypatch.setattr(builtins, "compile", forbidden)
    same(compile_expression("max($a, 2) * 3 + 2 ** -1").evaluate({"a": 4}), 12.5)
    same(compile_value("layer_${i + 1}").evaluate({"i": 1}), "layer_2")


def test_evaluate_does_not_reparse(monkeypatch: pytest.MonkeyPatch) -> None:
    c = compile_value("$a * 4 + min($b, 1)")
    d = compile_value("x_${$a}")

    def no_parsing(*args: object) -> object:
        raise AssertionError("parsed at evaluation")

    monkeypatch.setattr(expr_module, "_tokenize", no_parsing)
    monkeypatch.setattr(expr_module, "_Parser", no_parsing)
    same(c.evaluate({"a": 2, "b": 5}), 9)
    same(d.evaluate({"a": 2}), "x_2")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    depth = MAX_NESTING * 10
    for text in (
        "(" * depth + "1" + ")" * depth,
        "-" * depth + "1",
        "not " * depth + "true",
        "2 ** " * depth + "1",
        "min(" * depth + "1" + ")" * depth,
        "x_${" + "(" * depth + "1" + ")" * depth + "}",
    ):
        compile_ = compile_value if "${" in text else compile_expression
        with pytest.raises(ExprError) as info:
            compile_(text)
        assert "nested too deeply" in info.value.message
    # modest nesting is fine
    same(ev("(" * 20 + "1" + ")" * 20), 1)
    same(ev("-" * 20 + "1"), 1)


def test_long_flat_chains_do_not_recurse() -> None:
    n = 5000
    same(ev("1" + " + 1" * n), n + 1)
    same(ev(" and ".join(["true"] * n)), True)
    same(ev(" < ".join(str(k) for k in range(n))), True)


def test_evaluation_is_a_few_calls() -> None:
    """A compiled expression evaluates as a small tree of closures: one Python
    call per node, no parsing or lookups beyond the names. (Its time per call is
    printed by benchmarks/expr.py.)"""
    c = compile_value("$a * 4 + 1")
    calls = 0

    def count(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(count)
    try:
        value = c.evaluate({"a": 3})
    finally:
        sys.setprofile(None)
    assert value == 13
    # evaluate, then the nodes `+`, `*`, `$a` (the constants are folded into
    # their operators), and the operators' helpers
    assert calls <= 8, calls


# ------------------------------------------------------- property: Python oracle
#
# Random small expressions are generated as trees and printed with the fewest
# parentheses Python's precedence allows (plus some optional ones), once in specc
# syntax and once in Python syntax; both must agree.


@dataclass(frozen=True)
class Gen:
    specc: str
    python: str
    level: int  # precedence of the top operator; 10 for an atom


ATOM = 10


def wrap(e: Gen, needs: bool) -> Gen:
    if not needs:
        return e
    return Gen(f"({e.specc})", f"({e.python})", ATOM)


int_literal = st.integers(0, 60).map(lambda n: Gen(str(n), str(n), ATOM))
int_name = st.tuples(st.sampled_from(["p", "q", "r"]), st.booleans()).map(
    lambda t: Gen(("$" if t[1] else "") + t[0], t[0], ATOM)
)
bool_literal = st.sampled_from([Gen("true", "True", ATOM), Gen("false", "False", ATOM)])

BIN_LEVEL = {"+": 6, "-": 6, "*": 7, "//": 7, "%": 7}


def binary(op: str, left: Gen, right: Gen, level: int) -> Gen:
    left = wrap(left, left.level < level)
    right = wrap(right, right.level <= level)
    return Gen(f"{left.specc} {op} {right.specc}", f"{left.python} {op} {right.python}", level)


@st.composite
def int_node(draw: st.DrawFn, ints: st.SearchStrategy[Gen]) -> Gen:
    kind = draw(
        st.sampled_from(
            ["bin", "bin", "bin", "bin", "bin", "unary", "pow", "call", "abs", "paren", "if"]
        )
    )
    if kind == "if":
        # `A if L < R else B`: A and the comparison are `or` tests (parenthesized
        # when lower), B may be another conditional (right-associative)
        then, left, right, other = draw(ints), draw(ints), draw(ints), draw(ints)
        then, left, right = (
            wrap(then, then.level < 1),
            wrap(left, left.level <= 4),
            wrap(right, right.level <= 4),
        )
        op = draw(st.sampled_from(CMP_OPS))
        cond = (f"{left.specc} {op} {right.specc}", f"{left.python} {op} {right.python}")
        return Gen(
            f"{then.specc} if {cond[0]} else {other.specc}",
            f"{then.python} if {cond[1]} else {other.python}",
            0,
        )
    if kind == "bin":
        op = draw(st.sampled_from(sorted(BIN_LEVEL)))
        return binary(op, draw(ints), draw(ints), BIN_LEVEL[op])
    if kind == "unary":
        op = draw(st.sampled_from(["-", "+"]))
        operand = draw(ints)
        operand = wrap(operand, operand.level < 8)
        return Gen(op + operand.specc, op + operand.python, 8)
    if kind == "pow":
        base = draw(ints)
        base = wrap(base, base.level < ATOM)
        exponent = draw(st.integers(0, 3))
        return Gen(f"{base.specc} ** {exponent}", f"{base.python} ** {exponent}", 9)
    if kind == "call":
        fn = draw(st.sampled_from(["min", "max"]))
        args = draw(st.lists(ints, min_size=1, max_size=3))
        return Gen(
            f"{fn}({', '.join(a.specc for a in args)})",
            f"{fn}({', '.join(a.python for a in args)})",
            ATOM,
        )
    if kind == "abs":
        arg = draw(ints)
        return Gen(f"abs({arg.specc})", f"abs({arg.python})", ATOM)
    return wrap(draw(ints), True)


CMP_OPS = ["==", "!=", "<", "<=", ">", ">="]


@st.composite
def bool_node(draw: st.DrawFn, ints: st.SearchStrategy[Gen], bools: st.SearchStrategy[Gen]) -> Gen:
    kind = draw(st.sampled_from(["cmp", "cmp", "not", "and", "or", "eq", "paren"]))
    if kind == "cmp":
        operands = [wrap(o, o.level <= 4) for o in draw(st.lists(ints, min_size=2, max_size=4))]
        ops = draw(
            st.lists(
                st.sampled_from(CMP_OPS), min_size=len(operands) - 1, max_size=len(operands) - 1
            )
        )
        specc, python = operands[0].specc, operands[0].python
        for op, operand in zip(ops, operands[1:], strict=True):
            specc += f" {op} {operand.specc}"
            python += f" {op} {operand.python}"
        return Gen(specc, python, 4)
    if kind == "not":
        operand = draw(bools)
        operand = wrap(operand, operand.level < 3)
        return Gen(f"not {operand.specc}", f"not {operand.python}", 3)
    if kind in ("and", "or"):
        level = 2 if kind == "and" else 1
        return binary(kind, draw(bools), draw(bools), level)
    if kind == "eq":
        left, right = draw(bools), draw(bools)
        left, right = wrap(left, left.level <= 4), wrap(right, right.level <= 4)
        op = draw(st.sampled_from(["==", "!="]))
        return Gen(f"{left.specc} {op} {right.specc}", f"{left.python} {op} {right.python}", 4)
    return wrap(draw(bools), True)


int_leaf = st.one_of(int_literal, int_name)


@functools.cache
def int_expr(depth: int) -> st.SearchStrategy[Gen]:
    if depth == 0:
        return int_leaf
    node = int_node(int_expr(depth - 1))
    return st.one_of(int_leaf, node, node)


@functools.cache
def bool_expr(depth: int) -> st.SearchStrategy[Gen]:
    if depth == 0:
        return bool_literal
    node = bool_node(int_expr(depth - 1), bool_expr(depth - 1))
    return st.one_of(bool_literal, node, node)


MAX_DEPTH = 4
expressions = st.one_of(int_expr(MAX_DEPTH), bool_expr(MAX_DEPTH))


def python_oracle(text: str, env: Mapping[str, int]) -> Callable[[], Any]:
    namespace: dict[str, Any] = {
        "min": lambda *a: builtins.min(a),
        "max": lambda *a: builtins.max(a),
        "abs": builtins.abs,
        **env,
    }
    return lambda: eval(text, {"__builtins__": {}}, namespace)  # test oracle only


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    expressions,
    st.fixed_dictionaries(
        {"p": st.integers(-20, 20), "q": st.integers(-20, 20), "r": st.integers(-3, 3)}
    ),
)
def test_agrees_with_python(e: Gen, env: dict[str, int]) -> None:
    oracle = python_oracle(e.python, env)
    try:
        expected = oracle()
    except ZeroDivisionError:
        with pytest.raises(ExprError) as info:
            compile_expression(e.specc).evaluate(env)
        assert "by zero" in info.value.message
        assert 0 <= info.value.offset < len(e.specc)
        return
    assume(not (type(expected) is int and expected.bit_length() > MAX_INT_BITS))
    actual = compile_expression(e.specc).evaluate(env)
    same(actual, expected)
    # names the text refers to are reported for static checks
    assert compile_expression(e.specc).names <= {"p", "q", "r"}


ARITH_OPS = ["+", "-", "*", "/", "//", "%", "**"]


@st.composite
def flat_arithmetic(draw: st.DrawFn) -> Gen:
    """`operand op operand op ...` without parentheses: only precedence and
    associativity decide the tree. `**` is followed by a small literal (maybe
    negated) and never chained, to keep Python's own evaluation small."""
    text = ""
    op = ""
    for k in range(draw(st.integers(1, 8))):
        if k:
            choices = [o for o in ARITH_OPS if not (o == "**" and op == "**")]
            op = draw(st.sampled_from(choices))
            text += f" {op} "
        prefix = draw(st.sampled_from(["", "", "", "-", "+", "- -", "-+"]))
        if op == "**":
            text += prefix + str(draw(st.integers(0, 3)))
        else:
            text += prefix + draw(st.one_of(st.integers(0, 60).map(str), st.sampled_from("pqr")))
    return Gen(text, text, 0)


@st.composite
def flat_comparison(draw: st.DrawFn) -> Gen:
    operands = draw(st.lists(flat_arithmetic(), min_size=1, max_size=3))
    text = operands[0].specc
    for operand in operands[1:]:
        text += f" {draw(st.sampled_from(CMP_OPS))} {operand.specc}"
    return Gen(text, text, 0)


@st.composite
def flat_logic(draw: st.DrawFn) -> Gen:
    """Booleans (literals or comparisons, maybe under `not`) joined by and/or."""
    text = ""
    for k in range(draw(st.integers(1, 6))):
        if k:
            text += f" {draw(st.sampled_from(['and', 'or']))} "
        text += draw(st.sampled_from(["", "", "not ", "not not "]))
        if draw(st.booleans()):
            text += draw(st.sampled_from(["true", "false"]))
        else:
            left, right = draw(flat_arithmetic()), draw(flat_arithmetic())
            text += f"{left.specc} {draw(st.sampled_from(CMP_OPS))} {right.specc}"
    return Gen(text, text.replace("true", "True").replace("false", "False"), 0)


@settings(max_examples=800, deadline=None)
@given(
    st.one_of(flat_comparison(), flat_logic()),
    st.fixed_dictionaries(
        {"p": st.integers(-20, 20), "q": st.integers(-20, 20), "r": st.integers(-3, 3)}
    ),
)
def test_flat_expressions_agree_with_python(e: Gen, env: dict[str, int]) -> None:
    oracle = python_oracle(e.python, env)
    try:
        expected = oracle()
    except ZeroDivisionError:
        with pytest.raises(ExprError) as info:
            compile_expression(e.specc).evaluate(env)
        assert "by zero" in info.value.message
        return
    except OverflowError:
        with pytest.raises(ExprError):
            compile_expression(e.specc).evaluate(env)
        return
    assume(not (type(expected) is int and expected.bit_length() > MAX_INT_BITS))
    assume(not (type(expected) is float and not math.isfinite(expected)))
    same(compile_expression(e.specc).evaluate(env), expected)


@settings(max_examples=300, deadline=None)
@given(st.integers(-(10**30), 10**30), st.text(alphabet="abc_-/ ", max_size=5))
def test_interpolation_writes_ints_as_digits(n: int, prefix: str) -> None:
    same(compile_value(prefix + "${n}" + prefix).evaluate({"n": n}), f"{prefix}{n}{prefix}")


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_interpolation_writes_floats_as_repr(x: float) -> None:
    same(compile_value("v${x}").evaluate({"x": x}), "v" + repr(x))


@settings(max_examples=1500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=30),
        st.text(alphabet="$ {}()'\"\\+-*/%<>=!,.0123456789eabcnotrumxif_", max_size=30),
    )
)
def test_any_text_gives_a_value_or_a_located_error(text: str) -> None:
    env: dict[str, Value] = {"a": 1, "b": 2.5, "c": "s", "t": True}
    for compile_ in (compile_value, compile_expression):
        try:
            result = compile_(text).evaluate(env)
        except ExprError as e:
            assert 0 <= e.offset <= len(text)
            assert e.message
        else:
            assert type(result) in (int, float, bool, str)


# ---------------------------------------------------------------- the conditional


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("1 if true else 2", {}, 1),
        ("$a if $a > 3 else $b", {"a": 5, "b": 1}, 5),
        ("$a if $a > 3 else $b", {"a": 1, "b": 7}, 7),
        ("1 if false else 2 if false else 3", {}, 3),  # right-associative
        ("(1 if $c else 1 // 0) + 1", {"c": True}, 2),  # the branch not taken never runs
        ("1 // 0 if false else 4", {}, 4),
        ("max(1 if true else 5, 2)", {}, 2),
        ("not true if true else false", {}, False),  # `not` binds tighter
        ("'mha' if $heads > 1 else 'attention'", {"heads": 8}, "mha"),
    ],
)
def test_conditional(text: str, env: dict[str, Value], expected: Value) -> None:
    same(compile_expression(text).evaluate(env), expected)


def test_conditional_errors_are_located() -> None:
    e = err("1 if $a else 2", {"a": 1})
    assert (e.offset, e.message) == (5, "the condition of 'if' must be a boolean, not int")
    e = err("1 if true")
    assert (e.offset, e.message) == (9, "a conditional needs 'else': A if COND else B")
    e = err("1 if true 2")
    assert e.offset == 10 and e.message.startswith("expected 'else' after the condition")
    e = err("if true else 2")
    assert e.offset == 0


def test_conditional_in_a_spec() -> None:
    from specc.pipeline import compile_text

    comp = compile_text(
        "specc: 1\nname: m\nparams: {use_bias: false, units: 4}\nbody:\n"
        "  - var: w\n    shape: [$units if $use_bias else 1, 2]\n"
        "  - var: \"b_${'on' if $use_bias else 'off'}\"\n    shape: [$units]\n"
    )
    assert comp.ok, comp.diagnostics
    assert comp.table is not None
    assert [(r.name, r.shape) for r in comp.table.variables] == [("w", (1, 2)), ("b_off", (4,))]

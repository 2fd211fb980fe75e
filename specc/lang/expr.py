"""The safe expression language of spec values (DESIGN sections 2 and 10).

A YAML string value is one of four things, told apart by `compile_value`:

- a plain string: no `$` at all (``"glorot_uniform"``, even ``"4 * 3"``);
- a whole value: ``"$name"`` alone, which keeps the type of the named value;
- an interpolated string: ``"layer_${i}"``, each ``${expr}`` written into the text;
- a bare expression: ``"4 * $hidden"``, ``"max($heads, 2) * 3"``.

The language is closed: its own tokenizer and a precedence-climbing parser build
a tree of small closures once; evaluation never parses and never touches Python's
`eval`, `compile` or `ast`. Values are ``int | float | bool | str``; a bool is not
a number here. Every failure is an `ExprError` carrying the 0-based offset of the
offending character in the source text, for a caret.

Grammar, lowest to highest precedence (as Python's)::

    A if COND else B (right-associative; COND a bool, only the branch taken
    is evaluated) ; or ; and ; not ; == != < <= > >= (chained) ; + - ; * / // % ;
    unary + - ; ** (right-associative, exponent may be unary) ;
    literals, names ($name, or bare name), min(..) max(..) abs(.), ( .. )
"""

from __future__ import annotations

import difflib
import math
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, TypeAlias, TypeGuard

__all__ = [
    "MAX_INT_BITS",
    "MAX_NESTING",
    "MAX_STR_LEN",
    "Compiled",
    "ExprError",
    "Kind",
    "Value",
    "compile_expression",
    "compile_value",
    "to_text",
]

Value: TypeAlias = int | float | bool | str
Env: TypeAlias = Mapping[str, Value]
Kind: TypeAlias = Literal["literal", "name", "interpolation", "expression"]
_Fn: TypeAlias = Callable[[Env], Value]

MAX_INT_BITS: int = 4096
"""An int result (of `**` or any arithmetic) wider than this many bits is an error."""

MAX_STR_LEN: int = 1 << 20
"""A string built by repetition, concatenation or interpolation longer than this is an error."""

MAX_NESTING: Final = 100
"""How deeply sub-expressions may nest (about 50 levels of parentheses)."""

_KNOWN_SHOWN: Final = 30  # names listed in an unknown-name message


class ExprError(Exception):
    """A located expression error.

    `offset` is the 0-based character offset in the source text where the problem
    is (for the caret); `message` is a sentence for people.
    """

    message: str
    offset: int

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message, offset)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return self.message


def to_text(v: Value) -> str:
    """Write a value into a string: ints as digits, floats as `repr`, booleans as
    `true`/`false`, strings as they are."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _tn(v: object) -> str:
    """The language's name of a value's type."""
    t = type(v)
    if t is bool:
        return "bool"
    if t is int:
        return "int"
    if t is float:
        return "float"
    if t is str:
        return "str"
    return t.__name__


# --------------------------------------------------------------------------- tokens

_END: Final = "end"
_NUM: Final = "num"
_STR: Final = "str"
_NAME: Final = "name"
_KW: Final = "kw"
_OP: Final = "op"
_ERROR: Final = "error"

_KEYWORDS: Final = frozenset(
    {"true", "false", "and", "or", "not", "min", "max", "abs", "if", "else"}
)
_TWO_CHAR_OPS: Final = frozenset({"**", "//", "==", "!=", "<=", ">="})
_ONE_CHAR_OPS: Final = frozenset("+-*/%<>(),")
_SPACE: Final = frozenset(" \t\r\n\f\v")
_DIGITS: Final = frozenset("0123456789")
_ESCAPES: Final = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}
_CHAR_HINTS: Final = {
    "=": "; did you mean '=='?",
    "!": "; write 'not' for negation",
    "&": "; write 'and'",
    "|": "; write 'or'",
    ".": "; there is no attribute access",
    "[": "; there are no subscripts",
    "]": "; there are no subscripts",
    "{": "; braces only appear in '${...}' inside a string",
    "}": "; braces only appear in '${...}' inside a string",
}
_MAX_INT_DIGITS: Final = 1300  # comfortably above the 1234 digits of a 4096-bit int


class _Tok:
    __slots__ = ("error", "kind", "offset", "text", "value")

    def __init__(self, kind: str, text: str, offset: int, value: Value = "") -> None:
        self.error: ExprError | None = None  # for an error token
        self.kind = kind
        self.text = text  # the source text of the token ("" at the end)
        self.offset = offset
        self.value = value  # a literal's value, or a name without `$`

    def show(self) -> str:
        return "the end" if self.kind == _END and not self.text else repr(self.text)


def _is_ident_start(c: str) -> bool:
    return c.isalpha() or c == "_"


def _is_ident_char(c: str) -> bool:
    return c.isalnum() or c == "_"


def _scan_ident(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and _is_ident_char(text[pos]):
        pos += 1
    return pos


def _scan_number(text: str, start: int) -> tuple[_Tok, int]:
    n = len(text)
    pos = start
    while pos < n and text[pos] in _DIGITS:
        pos += 1
    is_float = False
    if pos < n and text[pos] == ".":
        is_float = True
        pos += 1
        while pos < n and text[pos] in _DIGITS:
            pos += 1
    if pos < n and text[pos] in "eE":
        is_float = True
        pos += 1
        if pos < n and text[pos] in "+-":
            pos += 1
        exp_start = pos
        while pos < n and text[pos] in _DIGITS:
            pos += 1
        if pos == exp_start:
            end = _scan_ident(text, pos)
            raise ExprError(f"malformed number {text[start:end]!r}", start)
    if pos < n and (_is_ident_char(text[pos]) or text[pos] == "."):
        end = pos + 1
        while end < n and (_is_ident_char(text[end]) or text[end] == "."):
            end += 1
        raise ExprError(f"malformed number {text[start:end]!r}", start)
    lexeme = text[start:pos]
    if is_float:
        fvalue = float(lexeme)
        if not math.isfinite(fvalue):
            raise ExprError(f"the number {lexeme} is too large for a float", start)
        value: Value = fvalue
    else:
        if len(lexeme) > 1 and lexeme[0] == "0":
            raise ExprError(f"leading zeros are not allowed in an integer: {lexeme}", start)
        if len(lexeme) > _MAX_INT_DIGITS or int(lexeme).bit_length() > MAX_INT_BITS:
            raise ExprError(f"the integer literal has more than {MAX_INT_BITS} bits", start)
        value = int(lexeme)
    return _Tok(_NUM, lexeme, start, value), pos


def _scan_string(text: str, start: int) -> tuple[_Tok, int]:
    quote = text[start]
    n = len(text)
    pos = start + 1
    out: list[str] = []
    while True:
        if pos >= n:
            raise ExprError("unterminated string", start)
        c = text[pos]
        if c == quote:
            return _Tok(_STR, text[start : pos + 1], start, "".join(out)), pos + 1
        if c == "\\":
            if pos + 1 >= n:
                raise ExprError("unterminated string", start)
            esc = text[pos + 1]
            if esc not in _ESCAPES:
                raise ExprError(
                    f"unknown escape '\\{esc}' in a string; use \\\\, \\', \\\", \\n or \\t",
                    pos,
                )
            out.append(_ESCAPES[esc])
            pos += 2
        else:
            out.append(c)
            pos += 1


def _tokenize(text: str, pos: int, dollar: int | None) -> tuple[list[_Tok], int]:
    """The tokens of `text` from `pos`.

    With `dollar` (the offset of a ``${``), stop at the closing ``}``, which
    becomes the end token, and also return the position after it. A malformed
    token ends the list as an error token, raised when the parser reaches it, so
    the leftmost problem of the text is the one reported.
    """
    toks: list[_Tok] = []
    try:
        return _scan(text, pos, dollar, toks)
    except ExprError as e:
        err = _Tok(_ERROR, "", e.offset)
        err.error = e
        toks.append(err)
        return toks, len(text)


def _scan(text: str, pos: int, dollar: int | None, toks: list[_Tok]) -> tuple[list[_Tok], int]:
    n = len(text)
    while True:
        while pos < n and text[pos] in _SPACE:
            pos += 1
        if pos >= n:
            if dollar is not None:
                raise ExprError("unclosed '${'", dollar)
            toks.append(_Tok(_END, "", n))
            return toks, n
        c = text[pos]
        if c == "}" and dollar is not None:
            toks.append(_Tok(_END, "}", pos))
            return toks, pos + 1
        if c in _DIGITS or (c == "." and pos + 1 < n and text[pos + 1] in _DIGITS):
            tok, pos = _scan_number(text, pos)
        elif c in "'\"":
            tok, pos = _scan_string(text, pos)
        elif c == "$":
            if pos + 1 >= n or not _is_ident_start(text[pos + 1]):
                raise ExprError("expected a name after '$'", pos)
            end = _scan_ident(text, pos + 1)
            tok = _Tok(_NAME, text[pos:end], pos, text[pos + 1 : end])
            pos = end
        elif _is_ident_start(c):
            end = _scan_ident(text, pos)
            word = text[pos:end]
            tok = _Tok(_KW if word in _KEYWORDS else _NAME, word, pos, word)
            pos = end
        elif text[pos : pos + 2] in _TWO_CHAR_OPS:
            tok = _Tok(_OP, text[pos : pos + 2], pos)
            pos += 2
        elif c in _ONE_CHAR_OPS:
            tok = _Tok(_OP, c, pos)
            pos += 1
        else:
            raise ExprError(f"unexpected character {c!r}{_CHAR_HINTS.get(c, '')}", pos)
        toks.append(tok)


# ------------------------------------------------------------------------ operations
#
# Each binary operation is `f(a, b, offset) -> Value`: it checks types, computes
# with Python's semantics and bounds, and raises ExprError located at `offset`
# (the operator).


def _type_error(op: str, a: object, b: object, off: int) -> ExprError:
    return ExprError(f"cannot apply '{op}' to {_tn(a)} and {_tn(b)}", off)


def _int_result(r: int, op: str, off: int) -> int:
    if r.bit_length() > MAX_INT_BITS:
        raise ExprError(f"the result of '{op}' has more than {MAX_INT_BITS} bits", off)
    return r


def _float_result(r: float, op: str, off: int) -> float:
    if math.isfinite(r):
        return r
    if math.isnan(r):
        raise ExprError(f"the result of '{op}' is not a number (NaN)", off)
    raise ExprError(f"the result of '{op}' is too large for a float", off)


def _float_op(fn: Callable[[Any, Any], Any], a: float, b: float, op: str, off: int) -> float:
    """A float result of numbers `a` and `b`, at least one a float."""
    try:
        r = fn(a, b)
    except OverflowError:
        raise ExprError(f"the result of '{op}' is too large for a float", off) from None
    if type(r) is not float:  # pragma: no cover - defensive (complex results)
        raise ExprError(f"the result of '{op}' is not a real number", off)
    a_finite = type(a) is not float or math.isfinite(a)
    b_finite = type(b) is not float or math.isfinite(b)
    if a_finite and b_finite:
        return _float_result(r, op, off)
    return r  # non-finite inputs (a YAML `.inf` param) propagate as Python does


def _is_num(v: object) -> TypeGuard[int | float]:
    t = type(v)
    return t is int or t is float


def _add(a: Value, b: Value, off: int) -> Value:
    if type(a) is int and type(b) is int:
        return _int_result(a + b, "+", off)
    if type(a) is str and type(b) is str:
        if len(a) + len(b) > MAX_STR_LEN:
            raise ExprError(f"the string from '+' is longer than {MAX_STR_LEN} characters", off)
        return a + b
    if _is_num(a) and _is_num(b):
        return _float_op(operator.add, a, b, "+", off)
    raise _type_error("+", a, b, off)


def _sub(a: Value, b: Value, off: int) -> Value:
    if type(a) is int and type(b) is int:
        return _int_result(a - b, "-", off)
    if _is_num(a) and _is_num(b):
        return _float_op(operator.sub, a, b, "-", off)
    raise _type_error("-", a, b, off)


def _repeat(s: str, n: int, off: int) -> str:
    if n > 0 and len(s) * n > MAX_STR_LEN:
        raise ExprError(f"the string from '*' would be longer than {MAX_STR_LEN} characters", off)
    return s * n


def _mul(a: Value, b: Value, off: int) -> Value:
    if type(a) is int and type(b) is int:
        if a.bit_length() + b.bit_length() - 1 > MAX_INT_BITS:
            raise ExprError(f"the result of '*' has more than {MAX_INT_BITS} bits", off)
        return _int_result(a * b, "*", off)
    if _is_num(a) and _is_num(b):
        return _float_op(operator.mul, a, b, "*", off)
    if type(a) is str and type(b) is int:
        return _repeat(a, b, off)
    if type(a) is int and type(b) is str:
        return _repeat(b, a, off)
    raise _type_error("*", a, b, off)


def _truediv(a: Value, b: Value, off: int) -> Value:
    if _is_num(a) and _is_num(b):
        if b == 0:
            raise ExprError("division by zero", off)
        return _float_op(operator.truediv, a, b, "/", off)
    raise _type_error("/", a, b, off)


def _floordiv(a: Value, b: Value, off: int) -> Value:
    if type(a) is int and type(b) is int:
        if b == 0:
            raise ExprError("division by zero", off)
        return a // b
    if _is_num(a) and _is_num(b):
        if b == 0:
            raise ExprError("division by zero", off)
        return _float_op(operator.floordiv, a, b, "//", off)
    raise _type_error("//", a, b, off)


def _mod(a: Value, b: Value, off: int) -> Value:
    if type(a) is int and type(b) is int:
        if b == 0:
            raise ExprError("modulo by zero", off)
        return a % b
    if _is_num(a) and _is_num(b):
        if b == 0:
            raise ExprError("modulo by zero", off)
        return _float_op(operator.mod, a, b, "%", off)
    raise _type_error("%", a, b, off)


def _pow(a: Value, b: Value, off: int) -> Value:
    if not (_is_num(a) and _is_num(b)):
        raise _type_error("**", a, b, off)
    if a == 0 and b < 0:
        raise ExprError("division by zero: 0 raised to a negative power", off)
    if type(a) is int and type(b) is int:
        if b >= 0:
            # |a| ** b has at least b * (bits(|a|) - 1) + 1 bits: refuse before computing.
            if abs(a) > 1 and b * (abs(a).bit_length() - 1) >= MAX_INT_BITS:
                raise ExprError(f"the result of '**' has more than {MAX_INT_BITS} bits", off)
            return _int_result(a**b, "**", off)
        return _float_op(operator.pow, a, b, "**", off)  # a negative exponent gives a float
    if a < 0 and not float(b).is_integer():
        raise ExprError("cannot raise a negative number to a fractional power", off)
    return _float_op(operator.pow, a, b, "**", off)


_ARITH: Final[Mapping[str, Callable[[Value, Value, int], Value]]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _truediv,
    "//": _floordiv,
    "%": _mod,
    "**": _pow,
}


def _make_compare(op: str, cmp: Callable[[Any, Any], bool]) -> Callable[[Value, Value, int], bool]:
    equality = op in ("==", "!=")

    def compare(a: Value, b: Value, off: int) -> bool:
        ta, tb = type(a), type(b)
        if (ta is str and tb is str) or ((ta is int or ta is float) and (tb is int or tb is float)):
            return cmp(a, b)
        if ta is bool and tb is bool:
            if equality:
                return cmp(a, b)
            raise ExprError(f"cannot apply '{op}' to bool and bool: booleans have no order", off)
        raise _type_error(op, a, b, off)

    return compare


_COMPARE: Final[Mapping[str, Callable[[Value, Value, int], bool]]] = {
    "==": _make_compare("==", operator.eq),
    "!=": _make_compare("!=", operator.ne),
    "<": _make_compare("<", operator.lt),
    "<=": _make_compare("<=", operator.le),
    ">": _make_compare(">", operator.gt),
    ">=": _make_compare(">=", operator.ge),
}

# Binary precedence, as Python's. Unary +/- is 8 and `not` is 3.
_PREC: Final[Mapping[str, int]] = {
    "or": 1,
    "and": 2,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 6,
    "-": 6,
    "*": 7,
    "/": 7,
    "//": 7,
    "%": 7,
    "**": 9,
}
_PREC_NOT: Final = 3
_PREC_CMP: Final = 4
_PREC_UNARY: Final = 8
_PREC_POW: Final = 9


# ----------------------------------------------------------------------------- nodes


class _Node:
    """A compiled sub-expression: its closure, where it starts, and its value when
    it is a constant (no names; folded at compile time)."""

    __slots__ = ("const", "fn", "start", "value")

    def __init__(self, fn: _Fn, start: int, const: bool = False, value: Value = 0) -> None:
        self.fn = fn
        self.start = start
        self.const = const
        self.value = value


def _const(v: Value, start: int) -> _Node:
    def const(env: Env) -> Value:
        return v

    return _Node(const, start, True, v)


def _folded(node: _Node, *parts: _Node) -> _Node:
    """`node` evaluated now when all its `parts` are constants; an error is kept
    for evaluation time, where it belongs."""
    if all(p.const for p in parts):
        try:
            return _const(node.fn({}), node.start)
        except ExprError:
            return node
    return node


def _unknown_name(name: str, env: Env, off: int) -> ExprError:
    known = sorted(str(k) for k in env)
    msg = f"unknown name ${name}"
    if known:
        shown = ", ".join("$" + k for k in known[:_KNOWN_SHOWN])
        more = len(known) - _KNOWN_SHOWN
        msg += f"; known: {shown}" + (f" and {more} more" if more > 0 else "")
    else:
        msg += "; no names are defined here"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        msg += f"; did you mean ${close[0]}?"
    return ExprError(msg, off)


def _lookup(name: str, off: int) -> _Fn:
    def lookup(env: Env) -> Value:
        try:
            return env[name]
        except KeyError:
            raise _unknown_name(name, env, off) from None

    return lookup


def _binary(op: str, left: _Node, right: _Node, off: int) -> _Node:
    f = _ARITH[op]
    lf, rf = left.fn, right.fn
    if right.const:
        c = right.value

        def bin_rc(env: Env) -> Value:
            return f(lf(env), c, off)

        fn: _Fn = bin_rc
    elif left.const:
        c = left.value

        def bin_lc(env: Env) -> Value:
            return f(c, rf(env), off)

        fn = bin_lc
    else:

        def bin_(env: Env) -> Value:
            return f(lf(env), rf(env), off)

        fn = bin_
    return _folded(_Node(fn, left.start), left, right)


def _arith_chain(operands: list[_Node], ops: list[_Tok]) -> _Node:
    """`a op b op c ...` at one left-associative level."""
    if len(operands) == 2:
        return _binary(ops[0].text, operands[0], operands[1], ops[0].offset)
    first = operands[0].fn
    rest = tuple((_ARITH[t.text], t.offset, n.fn) for t, n in zip(ops, operands[1:], strict=True))

    def chain(env: Env) -> Value:
        v = first(env)
        for f, off, g in rest:
            v = f(v, g(env), off)
        return v

    return _folded(_Node(chain, operands[0].start), *operands)


def _compare_chain(operands: list[_Node], ops: list[_Tok]) -> _Node:
    """`a < b <= c`: each operand evaluated at most once, stopping at the first false."""
    if len(operands) == 2:
        f = _COMPARE[ops[0].text]
        off = ops[0].offset
        lf, rf = operands[0].fn, operands[1].fn

        def compare(env: Env) -> Value:
            return f(lf(env), rf(env), off)

        return _folded(_Node(compare, operands[0].start), *operands)
    first = operands[0].fn
    rest = tuple((_COMPARE[t.text], t.offset, n.fn) for t, n in zip(ops, operands[1:], strict=True))

    def chain(env: Env) -> Value:
        a = first(env)
        for f, off, g in rest:
            b = g(env)
            if not f(a, b, off):
                return False
            a = b
        return True

    return _folded(_Node(chain, operands[0].start), *operands)


def _bool_chain(word: str, operands: list[_Node]) -> _Node:
    """`a and b and c` / `a or b or c`: booleans only, short-circuiting."""
    items = tuple((n.fn, n.start) for n in operands)
    stop = word == "or"  # the value that ends the chain early

    def chain(env: Env) -> Value:
        for g, start in items:
            v = g(env)
            if type(v) is not bool:
                raise ExprError(f"the operands of '{word}' must be booleans, not {_tn(v)}", start)
            if v is stop:
                return stop
        return not stop

    return _folded(_Node(chain, operands[0].start), *operands)


def _if_else(then: _Node, cond: _Node, otherwise: _Node) -> _Node:
    """`then if cond else otherwise`: the condition must be a boolean, and only the
    branch it picks is evaluated (the other may divide by zero, name a missing
    value, ...). A constant condition picks its branch at compile time."""
    if cond.const and type(cond.value) is bool:
        return then if cond.value else otherwise
    c, a, b, at = cond.fn, then.fn, otherwise.fn, cond.start

    def if_else(env: Env) -> Value:
        v = c(env)
        if v is True:
            return a(env)
        if v is False:
            return b(env)
        raise ExprError(f"the condition of 'if' must be a boolean, not {_tn(v)}", at)

    return _folded(_Node(if_else, then.start), then, cond, otherwise)


def _not(operand: _Node, off: int) -> _Node:
    g = operand.fn

    def not_(env: Env) -> Value:
        v = g(env)
        if v is True:
            return False
        if v is False:
            return True
        raise ExprError(f"'not' takes a boolean, not {_tn(v)}", off)

    return _folded(_Node(not_, off), operand)


def _unary(op: str, operand: _Node, off: int) -> _Node:
    g = operand.fn
    negate = op == "-"

    def unary(env: Env) -> Value:
        v = g(env)
        if _is_num(v):
            return -v if negate else v
        raise ExprError(f"cannot apply unary '{op}' to {_tn(v)}", off)

    return _folded(_Node(unary, off), operand)


def _call(name: str, args: list[_Node], off: int) -> _Node:
    fns = tuple(a.fn for a in args)
    starts = tuple(a.start for a in args)
    if name == "abs":
        g = fns[0]
        start = starts[0]

        def abs_(env: Env) -> Value:
            v = g(env)
            if _is_num(v):
                return abs(v)
            raise ExprError(f"abs() takes a number, not {_tn(v)}", start)

        return _folded(_Node(abs_, off), *args)
    pick = min if name == "min" else max

    def min_max(env: Env) -> Value:
        vals = [g(env) for g in fns]
        for v, start in zip(vals, starts, strict=True):
            t = type(v)
            if t is not int and t is not float:
                raise ExprError(f"{name}() takes numbers, not {_tn(v)}", start)
        return pick(vals)

    return _folded(_Node(min_max, off), *args)


# ---------------------------------------------------------------------------- parser


class _Parser:
    """Precedence climbing over a token list ending with an end token."""

    def __init__(self, toks: list[_Tok], names: set[str]) -> None:
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.names = names

    def peek(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.error is not None:
            raise tok.error
        return tok

    def advance(self) -> _Tok:
        tok = self.peek()
        self.i += 1
        return tok

    def parse(self) -> _Node:
        node = self.conditional()
        tok = self.peek()
        if tok.kind != _END:
            raise ExprError(f"unexpected token {tok.show()}", tok.offset)
        return node

    def conditional(self) -> _Node:
        """`A if COND else B`, the lowest precedence, as Python's: A and COND are
        `or` tests, B a conditional again (right-associative)."""
        then = self.expr(0)
        tok = self.peek()
        if not (tok.kind == _KW and tok.text == "if"):
            return then
        self.advance()
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprError("the expression is nested too deeply", tok.offset)
        cond = self.expr(0)
        word = self.peek()
        if not (word.kind == _KW and word.text == "else"):
            raise ExprError(
                f"expected 'else' after the condition, got {word.show()}"
                if word.kind != _END
                else "a conditional needs 'else': A if COND else B",
                word.offset,
            )
        self.advance()
        otherwise = self.conditional()
        self.depth -= 1
        return _if_else(then, cond, otherwise)

    @staticmethod
    def prec(tok: _Tok) -> int:
        if tok.kind in (_OP, _KW):
            return _PREC.get(tok.text, -1)
        return -1

    def expr(self, min_prec: int) -> _Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprError("the expression is nested too deeply", self.peek().offset)
        left = self.prefix(min_prec)
        while True:
            tok = self.peek()
            prec = self.prec(tok)
            if prec < min_prec:
                break
            if prec == _PREC_POW:
                self.advance()
                left = _binary("**", left, self.expr(_PREC_UNARY), tok.offset)
                continue
            operands = [left]
            ops: list[_Tok] = []
            while self.prec(self.peek()) == prec:
                ops.append(self.advance())
                operands.append(self.expr(prec + 1))
            if prec == _PREC_CMP:
                left = _compare_chain(operands, ops)
            elif tok.kind == _KW:
                left = _bool_chain(tok.text, operands)
            else:
                left = _arith_chain(operands, ops)
        self.depth -= 1
        return left

    def prefix(self, min_prec: int) -> _Node:
        tok = self.peek()
        if tok.kind == _OP and tok.text in ("-", "+"):
            self.advance()
            return _unary(tok.text, self.expr(_PREC_UNARY), tok.offset)
        if tok.kind == _KW and tok.text == "not":
            if min_prec > _PREC_NOT:
                raise ExprError("'not' must be put in parentheses here", tok.offset)
            self.advance()
            return _not(self.expr(_PREC_NOT), tok.offset)
        return self.primary()

    def expected_expression(self, tok: _Tok) -> ExprError:
        if tok.kind == _END:
            return ExprError("expected an expression", tok.offset)
        return ExprError(f"unexpected token {tok.show()}; expected an expression", tok.offset)

    def primary(self) -> _Node:
        tok = self.advance()
        kind = tok.kind
        if kind in (_NUM, _STR):
            return _const(tok.value, tok.offset)
        if kind == _NAME:
            name = str(tok.value)
            nxt = self.peek()
            if nxt.kind == _OP and nxt.text == "(":
                raise ExprError(
                    f"{tok.text!r} cannot be called; the only functions are min, max and abs",
                    nxt.offset,
                )
            self.names.add(name)
            return _Node(_lookup(name, tok.offset), tok.offset)
        if kind == _KW:
            if tok.text in ("true", "false"):
                return _const(tok.text == "true", tok.offset)
            if tok.text in ("min", "max", "abs"):
                return self.call(tok)
            raise self.expected_expression(tok)
        if kind == _OP and tok.text == "(":
            inner = self.conditional()
            self.close(tok)
            return _Node(inner.fn, tok.offset, inner.const, inner.value)
        raise self.expected_expression(tok)

    def close(self, opener: _Tok) -> None:
        """Consume the `)` matching `opener`."""
        tok = self.advance()
        if tok.kind == _OP and tok.text == ")":
            return
        if tok.kind == _END:
            raise ExprError("unclosed '('", opener.offset)
        raise ExprError(f"unexpected token {tok.show()}; expected ')'", tok.offset)

    def call(self, fn: _Tok) -> _Node:
        opener = self.advance()
        if not (opener.kind == _OP and opener.text == "("):
            raise ExprError(f"expected '(' after '{fn.text}'", opener.offset)
        args: list[_Node] = []
        self.depth += 1
        while True:
            tok = self.peek()
            if tok.kind == _OP and tok.text == ")":
                self.advance()
                break
            if tok.kind == _END and args:
                raise ExprError("unclosed '('", opener.offset)
            args.append(self.conditional())
            tok = self.peek()
            if tok.kind == _OP and tok.text == ",":
                self.advance()
                continue
            self.close(opener)
            break
        self.depth -= 1
        if not args:
            raise ExprError(f"{fn.text}() needs at least one argument", fn.offset)
        if fn.text == "abs" and len(args) != 1:
            raise ExprError(f"abs() takes exactly one argument, not {len(args)}", fn.offset)
        return _call(fn.text, args, fn.offset)


# -------------------------------------------------------------------------- compiled


class Compiled:
    """A compiled spec value: evaluate it many times against different names.

    `source` is the original text; `names` every name the text refers to (without
    `$`), for static checks; `kind` what `compile_value` found (``literal``,
    ``name``, ``interpolation`` or ``expression``); `is_literal` is true for a
    plain string without `$`, which evaluates to itself.
    """

    __slots__ = ("_fn", "is_literal", "kind", "names", "source")

    source: str
    names: frozenset[str]
    kind: Kind
    is_literal: bool

    def __init__(self, source: str, kind: Kind, names: frozenset[str], fn: _Fn) -> None:
        self.source = source
        self.kind = kind
        self.names = names
        self.is_literal = kind == "literal"
        self._fn = fn

    def evaluate(self, env: Mapping[str, Value]) -> Value:
        """The value of the text with `env`'s names; raises ExprError."""
        try:
            return self._fn(env)
        except RecursionError:  # pragma: no cover - only under a nearly exhausted stack
            raise ExprError("the expression is nested too deeply to evaluate", 0) from None

    def __repr__(self) -> str:
        return f"Compiled({self.source!r}, kind={self.kind!r})"


def _parse(toks: list[_Tok], names: set[str]) -> _Node:
    try:
        return _Parser(toks, names).parse()
    except RecursionError:  # pragma: no cover - MAX_NESTING normally stops first
        raise ExprError("the expression is nested too deeply", 0) from None


def _expression(text: str) -> Compiled:
    names: set[str] = set()
    toks, _ = _tokenize(text, 0, None)
    node = _parse(toks, names)
    return Compiled(text, "expression", frozenset(names), node.fn)


def _whole_name(text: str) -> tuple[str, int] | None:
    """`(name, offset of $)` when `text`, ignoring surrounding spaces, is one `$name`."""
    stripped = text.strip()
    if len(stripped) < 2 or stripped[0] != "$" or not _is_ident_start(stripped[1]):
        return None
    if _scan_ident(stripped, 1) != len(stripped):
        return None
    return stripped[1:], text.index("$")


def _interpolation(text: str) -> Compiled:
    names: set[str] = set()
    pieces: list[str | _Fn] = []
    pos = 0
    while True:
        j = text.find("$", pos)
        if j < 0:
            if pos < len(text):
                pieces.append(text[pos:])
            break
        if not text.startswith("${", j):
            raise ExprError(
                "a '$' in a string with '${...}' must start a '${...}'; write ${name}", j
            )
        if j > pos:
            pieces.append(text[pos:j])
        toks, pos = _tokenize(text, j + 2, j)
        if toks[0].kind == _END:
            raise ExprError("empty '${}'; write an expression inside, like ${i}", j)
        node = _parse(toks, names)
        pieces.append(to_text(node.value) if node.const else node.fn)
    parts = tuple(pieces)

    def interpolate(env: Env) -> Value:
        out = "".join([p if isinstance(p, str) else to_text(p(env)) for p in parts])
        if len(out) > MAX_STR_LEN:
            raise ExprError(f"the string is longer than {MAX_STR_LEN} characters", 0)
        return out

    return Compiled(text, "interpolation", frozenset(names), interpolate)


def compile_value(text: str) -> Compiled:
    """Classify and compile a YAML string value; raises ExprError on syntax errors.

    - no `$` at all: a plain string; `evaluate()` returns it unchanged;
    - the whole text (ignoring surrounding spaces) is `$name`: the named value, type kept;
    - contains ``${``: interpolation; each ``${expr}`` is evaluated and written into
      the string with `to_text`; another `$` or an unclosed ``${`` is an error;
    - otherwise a bare expression such as ``4 * $hidden``.
    """
    if "$" not in text:

        def literal(env: Env) -> Value:
            return text

        return Compiled(text, "literal", frozenset(), literal)
    whole = _whole_name(text)
    if whole is not None:
        name, off = whole
        return Compiled(text, "name", frozenset((name,)), _lookup(name, off))
    if "${" in text:
        return _interpolation(text)
    return _expression(text)


def compile_expression(text: str) -> Compiled:
    """Compile `text` as one bare expression, even without `$` (the string values
    of `if:` and `repeat:`); raises ExprError on syntax errors."""
    return _expression(text)

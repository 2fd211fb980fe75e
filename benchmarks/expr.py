"""Expression evaluation and refusal times, in this process (the tests count the
work: calls made and memory allocated; this prints the seconds).

    python benchmarks/expr.py [--calls 200000]

Prints the time per evaluation of a compiled `$a * 4 + 1`, and how long the
evaluator takes to refuse `10 ** 1000000000000000000000` and a string
repetition of 10**20 (both refused before anything is computed).
"""

from __future__ import annotations

import argparse
import contextlib
import time

from specc.lang.expr import ExprError, compile_value


def best(fn: object, repeat: int = 5) -> float:
    """The best of `repeat` timings of `fn()` (seconds)."""
    assert callable(fn)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--calls", type=int, default=200_000)
    n = ap.parse_args().calls
    c = compile_value("$a * 4 + 1")
    env = {"a": 3}

    def evaluate() -> None:
        for _ in range(n):
            c.evaluate(env)

    print(f"evaluate '$a * 4 + 1': {best(evaluate) / n * 1e9:.0f} ns a call")
    for text in ("10 ** 1000000000000000000000", "'a' * 100000000000000000000"):
        compiled = compile_value("${" + text + "}")

        def refuse(compiled: object = compiled) -> None:
            with contextlib.suppress(ExprError):
                compiled.evaluate({})  # type: ignore[attr-defined]

        print(f"refuse {text!r}: {best(refuse) * 1e6:.1f} us")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Random small specs for differential testing of specc against real TensorFlow.

    python3 tests/differential/gen_specs.py OUT_DIR [-n 500] [--seed 1] [--profile NAME]

Writes OUT_DIR/g<seed>_<i>.yaml. Each spec is a small random program mixing
what TF1's variable scopes make subtle: nested scopes with every reuse mode,
default names (repeated, nested, with case variants), captures and `{ref}`
re-entry (from elsewhere, after `reuse_variables`), `auxiliary_name_scope:
false`, name scopes (unique, trailing slash, ref), ops whose names collide
with scopes and variables case-insensitively, templates with and without
instances and `scope:`, threads, partitioners, custom getters, dtypes,
initializers (`value` literals included), collections, and errors of every
kind TF raises.

The specs avoid what `tf_oracle.py` refuses (`values`, `include`, `use` with
`scope: {ref}`); the driver drops the few the oracle still refuses (names
inside a variable's own ops). Standard library only; never imports TF.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
from typing import Any

# --------------------------------------------------------------------- YAML out

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def scalar(v: Any) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        if _PLAIN.fullmatch(v) and v.lower() not in _RESERVED:
            return v
        return json.dumps(v)
    raise TypeError(v)


def flow(v: Any) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(flow(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(x)}" for k, x in v.items()) + "}"
    return scalar(v)


class Block(dict):
    """A mapping emitted in block style (statements, templates)."""


def emit(v: Any, indent: int, out: list[str], first_prefix: str | None = None) -> None:
    """Emit a Block mapping; lists of Blocks become block sequences."""
    pad = " " * indent
    assert isinstance(v, Block)
    first = True
    for k, x in v.items():
        lead = first_prefix if (first and first_prefix is not None) else pad
        first = False
        key = scalar(k)
        if isinstance(x, Block):
            out.append(f"{lead}{key}:")
            emit(x, indent + 2, out)
        elif isinstance(x, list) and x and all(isinstance(s, Block) for s in x):
            out.append(f"{lead}{key}:")
            for s in x:
                emit(s, indent + 4, out, first_prefix=" " * (indent + 2) + "- ")
        else:
            out.append(f"{lead}{key}: {flow(x)}")


def dump_spec(spec: Block, comment: str) -> str:
    out = [f"# {comment}"]
    emit(spec, 0, out)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------- pools

SCOPE_NAMES = [
    "a",
    "b",
    "A",
    "layer",
    "Layer",
    "dense",
    "foo",
    "enc",
    "w",
    "x",
    "a_1",
    "layer_1",
    "a/b",
    "dense_1_1",
]
DEFAULT_NAMES = ["layer", "Layer", "dense", "block", "foo", "a"]
VAR_NAMES = ["w", "v", "b", "W", "kernel", "bias", "t", "part_0"]
OP_NAMES = [
    "w",
    "W",
    "a",
    "A",
    "layer",
    "Layer",
    "dense",
    "mult",
    "x",
    "foo",
    "layer_1",
    "a_1",
    "enc",
    "foo_1",
    "dense_1",
]
NS_NAMES = ["a", "ns", "layer", "Layer", "foo", "dense", "x", "a_1", "a/b"]
BAD_NAMES = ["bad name", "_under", "-dash", "a b", "ok/ sub", "x!"]
DTYPES = ["float32", "float16", "float64", "int32", "int64", "bool", "complex64", "bfloat16"]
REUSE = [True, "auto", False, None]


class Gen:
    def __init__(self, rng: random.Random, profile: str) -> None:
        self.r = rng
        self.profile = profile
        self.captures: list[str] = []
        self.vars: list[Block] = []  # var statements seen, to repeat them
        self.templates: dict[str, Block] = {}
        self.instances: dict[str, str] = {}
        self.n_statements = 0
        self.budget = rng.randint(4, 18) if profile != "deep" else rng.randint(20, 45)
        self.weights = self._weights()

    # profile weights of statement kinds
    def _weights(self) -> dict[str, float]:
        w = {
            "var": 5,
            "scope": 4,
            "op": 2,
            "name_scope": 1.5,
            "use": 1,
            "thread": 0.5,
            "reuse_variables": 0.7,
            "repeat": 0.5,
            "ref": 1.2,
        }
        p = self.profile
        if p == "names":
            w.update(op=5, name_scope=3, scope=5, var=3, ref=1.5)
        elif p == "reuse":
            w.update(var=6, scope=5, ref=2.5, reuse_variables=1.5)
        elif p == "partition":
            w.update(var=7, scope=2, op=0.5, ref=0.5)
        elif p == "templates":
            w.update(use=4, var=3)
        elif p == "threads":
            w.update(thread=2.5, ref=2)
        elif p == "deep":
            w.update(
                var=4, scope=4, op=3, name_scope=2, use=2, thread=1, ref=2.5, reuse_variables=1
            )
        elif p == "init":
            w.update(var=8, scope=2, op=0.5, name_scope=0.5, ref=0.5)
        return w

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, xs: list[Any]) -> Any:
        return self.r.choice(xs)

    # ------------------------------------------------------------ options

    def shape(self) -> list[int]:
        rank = self.r.choices([0, 1, 2, 3], [1, 4, 5, 1])[0]
        return [
            self.r.choices([0, 1, 2, 3, 4, 5, 7], [0.3, 2, 3, 3, 2, 2, 1])[0] for _ in range(rank)
        ]

    def initializer(self) -> Any:
        k = self.r.choices(
            [
                "zeros",
                "ones",
                "constant",
                "random_uniform",
                "truncated_normal",
                "glorot_uniform",
                "orthogonal",
                "identity",
                "value",
                "variance_scaling",
                "random_normal",
            ],
            [3, 2, 2, 2, 1, 1, 1, 1, 3, 1, 1],
        )[0]
        if k == "constant":
            return {"constant": {"value": self.pick([0.5, 1, [1.0, 2.0], True, 3])}}
        if k == "random_uniform":
            if self.chance(0.5):
                return {"random_uniform": {"minval": 0, "maxval": 5}}
            return {"random_uniform": {"minval": -1.0, "maxval": 1.0}}
        if k == "value":
            return {
                "value": self.pick(
                    [
                        [1.0, 2.0],
                        [[1, 2], [3, 4]],
                        [1, 2, 3],
                        5,
                        2.5,
                        [[1.0, 2.0, 3.0]],
                        [True, False],
                    ]
                )
            }
        if k == "orthogonal":
            return {"orthogonal": {"gain": 1.0}} if self.chance(0.3) else "orthogonal"
        return k

    def partitioner(self) -> Any:
        k = self.pick(["fixed_size", "variable_axis_size", "min_max"])
        axis = self.r.choices([0, 1, 2], [6, 3, 1])[0]
        if k == "fixed_size":
            a: dict[str, Any] = {
                "num_shards": self.r.choices([1, 2, 3, 4, 0], [1, 4, 3, 1, 0.3])[0]
            }
            if axis or self.chance(0.2):
                a["axis"] = axis
        elif k == "variable_axis_size":
            a = {"max_shard_bytes": self.pick([4, 8, 12, 16, 30, 64, 100, 1000])}
            if axis or self.chance(0.2):
                a["axis"] = axis
            if self.chance(0.3):
                a["max_shards"] = self.pick([1, 2, 3])
        else:
            a = {}
            if self.chance(0.8):
                a["max_partitions"] = self.pick([1, 2, 3, 4])
            if axis or self.chance(0.2):
                a["axis"] = axis
            if self.chance(0.8):
                a["min_slice_size"] = self.pick([4, 8, 16, 32, 64])
        return {k: a}

    def getter(self) -> Any:
        k = self.r.choices(["freeze", "float32_storage", "rename"], [2, 2, 3])[0]
        if k == "rename":
            frm = self.pick(["a/", "b", "A/", "a/b", "w", "layer/", "x/", ""])
            to = self.pick(["b/", "z/", "", "a/", "c", "A/"])
            return {"rename": {"prefix_from": frm, "prefix_to": to}}
        return k

    def regularizer(self) -> Any:
        # scales no initializer uses: a TF error naming one is the regularizer's own
        # math failing on a non-float variable (helper ops, not modeled; see run_batch)
        return self.pick(
            [
                {"l2": {"scale": 0.125}},
                {"l1": {"scale": 0.375}},
                {"l2_loss": {"scale": 1.0}},
                {"l1_l2": {"l1": 0.125, "l2": 0.375}},
                {"l2": {"scale": 2}},
            ]
        )

    def dtype(self) -> str:
        return self.r.choices(DTYPES, [4, 2, 1, 2, 1, 0.5, 0.5, 0.3])[0]

    def scope_options(self, st: Block, p: float) -> None:
        prof = self.profile
        if self.chance(p * (2 if prof == "init" else 1)):
            st["initializer"] = self.initializer()
        if self.chance(p * (3 if prof == "partition" else 0.7)):
            st["partitioner"] = self.partitioner()
        if self.chance(p * 0.6):
            st["regularizer"] = self.regularizer()
        if self.chance(p * 0.5):
            st["constraint"] = self.pick(["non_neg", "unit_norm", {"max_norm": {"max_value": 2}}])
        if self.chance(p * (3 if prof in ("init", "getters") else 0.8)):
            st["custom_getter"] = self.getter()
        if self.chance(p * (2 if prof == "init" else 0.8)):
            st["dtype"] = self.dtype()

    # ------------------------------------------------------------ statements

    def body(self, depth: int, ctx: dict[str, Any], n: int | None = None) -> list[Block]:
        if n is None:
            n = self.r.choices([1, 2, 3, 4], [3, 4, 3, 1])[0]
        out = []
        for _ in range(n):
            if self.n_statements >= self.budget and out:
                break
            out.append(self.stmt(depth, ctx))
        return out

    def stmt(self, depth: int, ctx: dict[str, Any]) -> Block:
        self.n_statements += 1
        kinds = dict(self.weights)
        if depth >= 4:
            for k in ("scope", "name_scope", "thread", "repeat", "use", "ref"):
                kinds[k] = 0
        if ctx.get("template"):
            kinds["thread"] = kinds["ref"] = kinds["repeat"] = 0
            # a template body may use the templates defined before it (no recursion)
            if not ctx.get("callable"):
                kinds["use"] = 0
        if not self.captures:
            kinds["ref"] = 0
        if not self.templates:
            kinds["use"] = 0
        kind = self.r.choices(list(kinds), list(kinds.values()))[0]
        st = getattr(self, "s_" + kind)(depth, ctx)
        if self.chance(0.03):
            st["if"] = False
        return st

    def name(self, pool: list[str], ctx: dict[str, Any]) -> str:
        if self.chance(0.015):
            return self.pick(BAD_NAMES)
        n = self.pick(pool)
        if ctx.get("loop") and self.chance(0.4):
            n = f"{n}${{{ctx['loop']}}}"
        elif ctx.get("arg") and self.chance(0.2):
            n = f"{n}_${{{ctx['arg']}}}"
        return n

    def s_var(self, depth: int, ctx: dict[str, Any]) -> Block:
        usable = [
            v
            for v in self.vars
            if all(
                m in (ctx.get("loop"), "i" if ctx.get("loop") == "j" else None, ctx.get("arg"))
                for m in re.findall(r"\$\{(\w+)\}", str(v["var"]))
            )
        ]
        if usable and self.chance(0.35):
            old = usable[self.r.randrange(len(usable))]
            st = Block(old)
            if self.chance(0.25) and "shape" in st:
                st["shape"] = self.shape()
            if self.chance(0.15):
                st.pop("shape", None)
            if self.chance(0.1):
                st["dtype"] = self.dtype()
            if self.chance(0.2):
                st.pop("partitioner", None)
            elif self.chance(0.15):
                st["partitioner"] = self.partitioner()
            return st
        st = Block(var=self.name(VAR_NAMES, ctx))
        prof = self.profile
        if self.chance(0.93):
            st["shape"] = self.shape()
        if self.chance(0.4 if prof == "init" else 0.15):
            st["dtype"] = self.dtype()
        if self.chance(0.5 if prof == "init" else 0.2):
            init = self.initializer()
            st["initializer"] = init
            if isinstance(init, dict) and "value" in init and self.chance(0.85):
                st.pop("shape", None)
        if self.chance(0.6 if prof == "partition" else 0.08):
            st["partitioner"] = self.partitioner()
            if "shape" in st and self.chance(0.7):
                st["shape"] = [self.pick([3, 4, 5, 7, 8, 10]), self.pick([1, 2, 3, 4])]
        if self.chance(0.12):
            st["regularizer"] = self.regularizer()
        if self.chance(0.06):
            st["constraint"] = "non_neg"
        if self.chance(0.08):
            st["trainable"] = self.pick([True, False])
        if self.chance(0.08):
            st["local"] = self.pick([True, False])
        if self.chance(0.06):
            st["collections"] = self.pick(
                [
                    ["mine"],
                    ["variables", "mine"],
                    ["model_variables"],
                    ["local_variables"],
                    ["variables"],
                ]
            )
        if self.chance(0.05):
            st["synchronization"] = self.pick(["on_read", "on_write", "auto", "none"])
        if self.chance(0.03):
            st["aggregation"] = self.pick(["sum", "mean", "none"])
        if self.chance(0.03):
            st["use_resource"] = self.pick([True, False])
        if self.chance(0.03):
            st["caching_device"] = "/cpu:0"
        if self.chance(0.03):
            st["validate_shape"] = self.pick([True, False])
        self.vars.append(st)
        return st

    def scope_body(self, st: Block, depth: int, ctx: dict[str, Any]) -> None:
        if self.chance(0.9):
            st["body"] = self.body(depth + 1, ctx)

    def s_scope(self, depth: int, ctx: dict[str, Any]) -> Block:
        if self.chance(0.3):
            st = Block(scope=None, default_name=self.name(DEFAULT_NAMES, ctx))
            if self.chance(0.1):
                st["reuse"] = self.pick([True, "auto"])
            elif self.chance(0.15):
                st["reuse"] = False
        else:
            st = Block(scope=self.name(SCOPE_NAMES, ctx))
            if self.chance(0.5):
                st["reuse"] = self.r.choices(REUSE, [3, 3, 1, 1])[0]
        if self.chance(0.12):
            st["auxiliary_name_scope"] = False
        self.scope_options(st, 0.15)
        if not ctx.get("template") and self.chance(0.3):
            cap = self.pick(["c1", "c2", "c3"])
            st["capture"] = cap
            self.scope_body(st, depth, ctx)
            if cap not in self.captures:
                self.captures.append(cap)
            return st
        self.scope_body(st, depth, ctx)
        return st

    def s_ref(self, depth: int, ctx: dict[str, Any]) -> Block:
        cap = self.pick(self.captures)
        if self.chance(0.25):
            st = Block(name_scope={"ref": cap})
            st["body"] = self.body(depth + 1, ctx)
            return st
        st = Block(scope={"ref": cap})
        if self.chance(0.4):
            st["reuse"] = self.r.choices(REUSE, [3, 3, 1, 1])[0]
        if self.chance(0.1):
            st["auxiliary_name_scope"] = False
        self.scope_options(st, 0.1)
        self.scope_body(st, depth, ctx)
        return st

    def s_op(self, depth: int, ctx: dict[str, Any]) -> Block:
        if self.chance(0.08):
            return Block(op=self.pick(["", "x/", "a/", "w/", "layer_1/", "a//"]))
        return Block(op=self.name(OP_NAMES, ctx))

    def s_name_scope(self, depth: int, ctx: dict[str, Any]) -> Block:
        c = self.r.random()
        if c < 0.15:
            n: Any = self.pick(["a/", "ns/", "layer/", "foo/", "a/b/", "Layer/", "a_1/"])
        elif c < 0.2:
            n = None
        else:
            n = self.name(NS_NAMES, ctx)
        st = Block(name_scope=n)
        st["body"] = self.body(depth + 1, ctx)
        return st

    def s_reuse_variables(self, depth: int, ctx: dict[str, Any]) -> Block:
        return Block(reuse_variables=True)

    def s_thread(self, depth: int, ctx: dict[str, Any]) -> Block:
        st = Block(thread=self.pick(["t1", "t2"]))
        st["body"] = self.body(depth + 1, {**ctx, "thread": True})
        return st

    def s_repeat(self, depth: int, ctx: dict[str, Any]) -> Block:
        st = Block(repeat=self.pick([2, 3]))
        loop = "i" if not ctx.get("loop") else "j"
        if self.chance(0.7):
            st["as"] = loop
            st["body"] = self.body(depth + 1, {**ctx, "loop": loop})
        else:
            st["body"] = self.body(depth + 1, ctx)
        return st

    def s_use(self, depth: int, ctx: dict[str, Any]) -> Block:
        tname = self.pick(ctx.get("callable") or list(self.templates))
        st = Block(use=tname)
        if self.chance(0.5):
            inst = self.pick([f"{tname}_i1", f"{tname}_i2"])
            st["instance"] = inst
        if self.chance(0.25):
            st["scope"] = self.pick(["proj", "a", "Dense", "dense", "t"])
        if self.templates[tname].get("args"):
            st["with"] = {"n": self.pick([1, 2, 3])}
        return st

    # ------------------------------------------------------------ whole spec

    def template(self, tname: str) -> Block:
        t = Block()
        ctx: dict[str, Any] = {
            "template": True,
            "callable": [t for t in self.templates if t != tname],
        }
        if self.chance(0.4):
            t["args"] = {"n": "int"}
            ctx["arg"] = "n"
        if self.chance(0.2):
            t["default_name"] = self.pick(["Dense", "blk", "dense"])
        saved = self.vars
        self.vars = []
        t["body"] = self.body(1, ctx, n=self.r.randint(1, 4))
        self.vars = saved
        return t

    def spec(self, name: str) -> Block:
        s = Block(specc=1, name=name)
        if self.chance(0.15):
            d = Block()
            self.scope_options(d, 0.5)
            if d:
                s["defaults"] = d
        if self.profile == "templates" or self.chance(0.35):
            tpls = Block()
            for tname in self.r.sample(["dense", "mlp", "Dense"], self.r.randint(1, 3)):
                tpls[tname] = self.template(tname)
                self.templates[tname] = tpls[tname]
            s["templates"] = tpls
        self.n_statements = 0  # the budget is for the body
        body: list[Block] = []
        while self.n_statements < self.budget:
            body.append(self.stmt(0, {}))
        s["body"] = body
        return s


PROFILES = [
    "mixed",
    "names",
    "reuse",
    "partition",
    "templates",
    "threads",
    "init",
    "getters",
    "deep",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("-n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", choices=PROFILES)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for i in range(a.n):
        rng = random.Random(a.seed * 1_000_003 + i)
        prof = a.profile or rng.choice(PROFILES)
        name = f"g{a.seed}_{i}"
        spec = Gen(rng, prof).spec(name)
        with open(os.path.join(a.out, name + ".yaml"), "w", encoding="utf-8") as f:
            f.write(dump_spec(spec, f"generated: seed {a.seed}, index {i}, profile {prof}"))


if __name__ == "__main__":
    main()

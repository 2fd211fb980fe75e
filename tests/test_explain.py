"""`specc explain`: provenance of names, from a tracing run of the engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from specc.cli import main
from specc.reports.explain import explain

CASES = Path(__file__).resolve().parent / "conformance" / "cases"


def test_tensor_renamed_by_a_case_insensitive_clash() -> None:
    path = str(CASES / "default_name_case_sensitive_counts.yaml")
    text = explain(path, "layer/w").text
    assert text is not None
    assert text.splitlines()[0] == "variable 'layer/w': shape [1], float32"
    assert "tensor 'layer/w_1:0'" in text
    assert f"'layer/w' was taken by a variable 'Layer/w' at {path}:10:9" in text


def test_default_name_suffix_names_the_earlier_scopes() -> None:
    path = str(CASES / "default_name_sequence.yaml")
    text = explain(path, "layer_2/w").text
    assert text is not None
    assert (
        f"default_name 'layer' became 'layer_2': already opened under this parent: "
        f"'layer' at {path}:8:9, 'layer_1' at {path}:8:9"
    ) in text


def test_op_in_a_reentered_template_scope() -> None:
    path = str(CASES / "template_instances_interleaved.yaml")
    text = explain(path, "dense_1_1/out").text
    assert text is not None
    assert text.startswith(f"op 'dense_1_1/out' at {path}:12:9")
    assert "graph name 'dense_1' became 'dense_1_1'" in text


def test_shared_variable_lists_where_and_why(tmp_path: Path) -> None:
    spec = tmp_path / "s.yaml"
    spec.write_text(
        "specc: 1\nname: s\nbody:\n"
        "  - scope: emb\n    capture: e\n    body:\n      - var: table\n        shape: [4, 2]\n"
        "  - scope: dec\n    body:\n"
        "      - scope: {ref: e}\n        reuse: true\n        body:\n          - var: table\n"
    )
    text = explain(str(spec), "emb/table").text
    assert text is not None
    assert f"created at {spec}:7:9 in scope 'emb'" in text
    assert f"shared  at {spec}:14:13 in scope 'emb', reuse true (given on the re-entry)" in text


def test_cli_unknown_name_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(CASES / "doc_name_scope_mult.yaml")
    assert main(["explain", path, "foo/vv"]) == 1
    assert "did you mean 'foo/v'" in capsys.readouterr().err
    assert main(["explain", path, "foo_1/mult"]) == 0
    assert "graph name 'foo' became 'foo_1'" in capsys.readouterr().out


def test_explain_refuses_an_unknown_param_as_check_does(capsys: pytest.CaptureFixture[str]) -> None:
    """`explain` runs the one pipeline: `-D` means what it means for `check`."""
    spec = str(Path(__file__).resolve().parent.parent / "examples" / "mlp.yaml")
    assert main(["check", spec, "-D", "bogus=1"]) == 2
    check_err = capsys.readouterr().err
    assert main(["explain", spec, "-D", "bogus=1", "mlp/dense/kernel"]) == 2
    assert capsys.readouterr().err == check_err


def test_observer_sees_every_kind_of_event() -> None:
    """The engine's observer interface reports scopes, names, variables, ops,
    reuse and templates, each with the statement's span as origin."""
    from specc.engine.observer import (
        NameUsed,
        Observer,
        ScopeOpened,
        TemplateEntered,
        VariableGot,
    )
    from specc.pipeline import compile_text
    from specc.span import Span

    events: list[tuple[str, object]] = []

    class Recorder(Observer):
        def scope_opened(self, event: ScopeOpened) -> None:
            events.append(("scope", event.scope.name))

        def name_used(self, event: NameUsed) -> None:
            events.append(("name", (event.wanted, event.got, event.kind)))

        def variable_got(self, event: VariableGot) -> None:
            assert isinstance(event.origin, Span)
            events.append(("var", (event.name, event.created)))

        def op_created(self, name: str, origin: object) -> None:
            events.append(("op", name))

        def reuse_set(self, scope: object, origin: object) -> None:
            events.append(("reuse", origin is not None))

        def template_entered(self, event: TemplateEntered) -> None:
            events.append(("template", (event.name, event.instance, event.first)))

    text = """\
specc: 1
name: m
templates:
  t:
    body:
      - var: w
        shape: [1]
body:
  - scope: a
    body:
      - var: v
        shape: [1]
      - op: mult
      - reuse_variables: true
      - var: v
  - use: t
    instance: shared
  - use: t
    instance: shared
  - use: t
"""
    comp = compile_text(text, observer=Recorder())
    assert comp.ok, comp.diagnostics
    assert events == [
        ("name", ("a", "a", "variable scope")),
        ("scope", "a"),
        ("name", ("a/v", "a/v", "variable")),
        ("var", ("a/v", True)),
        ("name", ("a/mult", "a/mult", "op")),
        ("op", "a/mult"),
        ("reuse", True),
        ("var", ("a/v", False)),
        ("name", ("t", "t", "variable scope")),
        ("scope", "t"),
        ("template", ("t", "shared", True)),
        ("name", ("t/w", "t/w", "variable")),
        ("var", ("t/w", True)),
        ("name", ("t", "t_1", "variable scope")),
        ("scope", "t"),
        ("template", ("t", "shared", False)),
        ("var", ("t/w", False)),
        ("name", ("t", "t_2", "variable scope")),
        ("scope", "t_1"),
        ("template", ("t", None, True)),
        ("name", ("t_1/w", "t_1/w", "variable")),
        ("var", ("t_1/w", True)),
    ]

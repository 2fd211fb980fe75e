"""`specc lsp` end to end: a real client (pytest-lsp) talks JSON-RPC over stdio
to `python -m specc lsp`, on the specs in `examples/` and on small specs
written for one feature each."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
STD = ROOT / "specc" / "stdlib"

pytestmark = pytest.mark.asyncio(loop_scope="module")

#: the server writes the diagnostic codes' pages under $XDG_CACHE_HOME
CACHE_HOME = tempfile.mkdtemp(prefix="specc-lsp-test-")


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "specc", "lsp", "--stdio"],
        server_env={**os.environ, "XDG_CACHE_HOME": CACHE_HOME},
    ),
)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            initialization_options={"debounceMs": 0},
            root_uri=EXAMPLES.as_uri(),
        )
    )
    yield
    await lsp_client.shutdown_session()


# --------------------------------------------------------------------------- helpers


def doc_id(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=path.as_uri())


def at(text: str, needle: str, offset: int = 0, nth: int = 0) -> types.Position:
    """The position of the `nth` occurrence of `needle` (plus `offset` columns)."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index)
    column = index - (text.rfind("\n", 0, index) + 1)
    return types.Position(line=line, character=column + offset)


async def open_doc(
    client: LanguageClient, path: Path, text: str | None = None
) -> list[types.Diagnostic]:
    """Open a document and wait for its diagnostics."""
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    body = path.read_text() if text is None else text
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=body)
        )
    )
    return await diagnostics_of(client, uri)


async def diagnostics_of(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """The diagnostics published for `uri` (waiting for them, 20 s at most)."""

    async def wait() -> None:
        while uri not in client.diagnostics:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)

    await asyncio.wait_for(wait(), 20)
    return list(client.diagnostics[uri])


async def change(client: LanguageClient, path: Path, text: str, version: int) -> None:
    """Replace the whole text of an open document."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def hover_text(client: LanguageClient, path: Path, pos: types.Position) -> str:
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=doc_id(path), position=pos)
    )
    assert result is not None
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


async def completion_labels(
    client: LanguageClient, path: Path, pos: types.Position
) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc_id(path), position=pos)
    )
    assert isinstance(result, types.CompletionList)
    return result.items


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


# --------------------------------------------------------------------------- diagnostics


@pytest.mark.parametrize("name", ["mlp", "cnn", "seq2seq", "transformer"])
async def test_the_examples_check_clean(client: LanguageClient, name: str) -> None:
    assert await open_doc(client, EXAMPLES / f"{name}.yaml") == []


EXISTS = """\
specc: 1
name: m
body:
  - scope: foo
    body:
      - var: v
        shape: [2]
  - scope: foo
    body:
      - var: v
        shape: [2]
"""


async def test_diagnostic_range_related_location_code_and_link(
    client: LanguageClient, tmp_path: Path
) -> None:
    spec = write(tmp_path, "exists.yaml", EXISTS)
    (d,) = await open_doc(client, spec)
    assert d.code == "variable-exists"
    assert d.severity == types.DiagnosticSeverity.Error
    assert d.source == "specc"
    # `- var: v` on line 10 underlines `var`, as `specc check` does
    assert d.range == types.Range(start=types.Position(9, 8), end=types.Position(9, 11))
    assert "help: set `reuse: true`" in d.message
    assert d.related_information is not None
    (first,) = d.related_information
    assert first.message == "first created here"
    assert first.location.uri == spec.as_uri()
    assert first.location.range.start == types.Position(5, 8)
    assert d.code_description is not None
    href = d.code_description.href
    assert href.startswith(Path(CACHE_HOME).resolve().as_uri())
    assert href.endswith("/variable-exists.md")
    page = Path(href.removeprefix("file://")).read_text()
    assert page.startswith("# variable-exists") and "Fixed:" in page


async def test_other_yaml_files_are_left_alone(client: LanguageClient, tmp_path: Path) -> None:
    workflow = write(tmp_path, "ci.yaml", "name: ci\non: [push]\njobs:\n  test: {runs-on: x}\n")
    assert await open_doc(client, workflow) == []
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=doc_id(workflow), position=types.Position(0, 1))
    )
    assert hover is None
    # an empty file may become a spec: it gets completion
    empty = write(tmp_path, "new.yaml", "")
    assert await open_doc(client, empty) == []
    items = await completion_labels(client, empty, types.Position(0, 0))
    assert [i.label for i in items][:3] == ["specc", "name", "seed"]


async def test_ranges_count_utf16_code_units(client: LanguageClient, tmp_path: Path) -> None:
    """VS Code counts columns in UTF-16 (the LSP default): an emoji counts two."""
    text = (
        'specc: 1\nname: m\nbody:\n  - {var: v, shape: [2], caching_device: "😀", dtype: flaot}\n'
    )
    spec = write(tmp_path, "wide.yaml", text)
    (d,) = await open_doc(client, spec)
    start = text.split("\n")[3].index("flaot") + 1
    assert d.range == types.Range(
        start=types.Position(3, start), end=types.Position(3, start + len("flaot"))
    )
    (fix,) = await actions_at(client, spec, d)
    (edit,) = only_edits(fix, spec.as_uri())
    assert edit.range == d.range and edit.new_text == "float"


async def test_diagnostics_follow_edits(client: LanguageClient, tmp_path: Path) -> None:
    spec = write(tmp_path, "edit.yaml", EXISTS)
    assert len(await open_doc(client, spec)) == 1
    client.diagnostics.pop(spec.as_uri())
    second = EXISTS.rindex("scope: foo")
    await change(client, spec, EXISTS[:second] + "scope: bar" + EXISTS[second + 10 :], 2)
    assert await diagnostics_of(client, spec.as_uri()) == []


TEMPLATE_ERROR = """\
specc: 1
name: m
include: [blocks.yaml]
body:
  - use: twice
"""
BLOCKS = """\
specc: 1
templates:
  twice:
    body:
      - var: w
        shape: [1]
      - var: w
        shape: [1]
"""


async def test_an_error_in_an_included_template_shows_at_the_use(
    client: LanguageClient, tmp_path: Path
) -> None:
    write(tmp_path, "blocks.yaml", BLOCKS)
    spec = write(tmp_path, "main.yaml", TEMPLATE_ERROR)
    (d,) = await open_doc(client, spec)
    assert d.code == "variable-exists"
    # the compiler locates it at the user's `use`; the template's lines follow
    assert d.message.startswith("Variable twice/w already exists")
    assert d.range.start == types.Position(4, 4)  # `use` in main.yaml
    assert d.related_information is not None
    places = {(r.location.uri, r.location.range.start.line) for r in d.related_information}
    assert ((tmp_path / "blocks.yaml").as_uri(), 6) in places  # where the error is
    assert ((tmp_path / "blocks.yaml").as_uri(), 4) in places  # first created here


async def test_a_library_file_checks_without_spec_keys(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = BLOCKS.replace("shape: [1]", "shape: [$width]", 1)
    library = write(tmp_path, "lib.yaml", text)
    # no "missing required key body", no unknown `$width` (a param of the specs
    # that include it), no `w` made twice (a template runs when a spec uses it)
    assert await open_doc(client, library) == []
    client.diagnostics.pop(library.as_uri())
    await change(client, library, text.replace("    body:", "    bogus: 1\n    body:"), 2)
    (d,) = await diagnostics_of(client, library.as_uri())
    assert d.code == "schema"
    assert "unknown key 'bogus'" in d.message
    assert d.range.start == types.Position(3, 4)


async def test_an_unsaved_include_is_seen_by_the_spec(
    client: LanguageClient, tmp_path: Path
) -> None:
    blocks = write(tmp_path, "blocks.yaml", BLOCKS)
    spec = write(tmp_path, "main.yaml", TEMPLATE_ERROR)
    assert len(await open_doc(client, spec)) == 1
    await open_doc(client, blocks)
    client.diagnostics.pop(spec.as_uri(), None)
    fixed = BLOCKS.replace("      - var: w\n        shape: [1]\n", "", 1)
    await change(client, blocks, fixed, 2)
    assert await diagnostics_of(client, spec.as_uri()) == []
    # closed without saving: the spec sees the file on disk again
    client.diagnostics.pop(spec.as_uri(), None)
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc_id(blocks)))
    (d,) = await diagnostics_of(client, spec.as_uri())
    assert d.code == "variable-exists"


# --------------------------------------------------------------------------- hover


async def test_hover_on_a_var_lists_every_instance(client: LanguageClient) -> None:
    mlp = EXAMPLES / "mlp.yaml"
    text = mlp.read_text()
    await open_doc(client, mlp)
    shown = await hover_text(client, mlp, at(text, "var: kernel", 6))
    assert "**3 variables**" in shown
    for name, shape, count in [
        ("mlp/dense/kernel", "[784, 256]", "200,704"),
        ("mlp/dense_1/kernel", "[256, 256]", "65,536"),
        ("mlp/dense_2/kernel", "[256, 10]", "2,560"),
    ]:
        assert f"`{name}` `{shape}` float32, {count} parameters, `glorot_uniform`" in shown


async def test_hover_on_a_var_made_once_has_every_detail(client: LanguageClient) -> None:
    seq = EXAMPLES / "seq2seq.yaml"
    text = seq.read_text()
    await open_doc(client, seq)
    shown = await hover_text(client, seq, at(text, "var: embeddings", 6))
    assert shown.startswith("**`embedding/embeddings`** `[32000, 512]` float32")
    assert "16,384,000 parameters, 62.5 MiB" in shown
    assert "initializer: `random_uniform(minval=-0.05, maxval=0.05)`" in shown
    assert "trainable; collections: trainable_variables, variables" in shown
    assert "created here: TF's `get_variable('embeddings')` in `variable_scope('embedding')`" in (
        shown
    )
    assert "tensor `embedding/embeddings:0`" in shown
    # the decoder's `var` shares it through the captured scope
    shared = await hover_text(client, seq, at(text, "var: embeddings", 6, nth=1))
    assert "shared here" in shared and "created at" in shared


async def test_hover_on_partitions(client: LanguageClient, tmp_path: Path) -> None:
    spec = write(
        tmp_path,
        "parts.yaml",
        "specc: 1\nname: m\nbody:\n  - var: v\n    shape: [10, 4]\n"
        "    partitioner: {fixed_size: {num_shards: 3}}\n",
    )
    await open_doc(client, spec)
    shown = await hover_text(client, spec, types.Position(3, 9))
    assert "3 partitions: `v/part_0` [4, 4], `v/part_1` [3, 4], `v/part_2` [3, 4]" in shown


async def test_hover_on_a_use_shows_the_template_and_its_scopes(client: LanguageClient) -> None:
    tr = EXAMPLES / "transformer.yaml"
    text = tr.read_text()
    await open_doc(client, tr)
    shown = await hover_text(client, tr, at(text, "use: layer_norm", 6))
    assert shown.startswith("**template layer_norm**")
    assert "TF1 contrib layer_norm, named as in BERT checkpoints." in shown
    assert "- `dim` (int, required)" in shown
    assert "default_name='LayerNorm'" in shown
    assert (
        "This `use` opened: `transformer/layer_0/LayerNorm`, `transformer/layer_1/LayerNorm`"
        in (shown)
    )
    first = await hover_text(client, tr, at(text, "instance: tied_embedding", 12))
    assert "instance `tied_embedding`: this call creates its variables" in first
    again = await hover_text(client, tr, at(text, "instance: tied_embedding", 12, nth=1))
    assert "re-enters its scope with reuse" in again


async def test_hover_on_names_gives_their_value(client: LanguageClient) -> None:
    tr = EXAMPLES / "transformer.yaml"
    text = tr.read_text()
    await open_doc(client, tr)
    assert await hover_text(client, tr, at(text, "$hidden]", 2)) == "**param `hidden`** = `512`"
    ffn = await hover_text(client, tr, at(text, "ffn: $ffn", 7))
    assert ffn.startswith("**param `ffn`** = `2048`") and "written `4 * $hidden`" in ffn
    loop = await hover_text(client, tr, at(text, "layer_${i}", 8))
    assert loop.startswith("**loop variable `i`** of `repeat: $layers`")
    arg = await hover_text(client, tr, at(text, "[$in_dim, $units]", 3))
    assert arg == "**argument of template `dense`**\n\n- `in_dim` (int, required)"


async def test_hover_on_catalog_kinds_and_arguments(client: LanguageClient) -> None:
    tr = EXAMPLES / "transformer.yaml"
    text = tr.read_text()
    await open_doc(client, tr)
    kind = await hover_text(client, tr, at(text, "truncated_normal: {stddev", 3))
    assert kind.startswith("**truncated_normal** (initializer)")
    assert "TF: `tf.compat.v1.truncated_normal_initializer`" in kind
    assert "- `stddev` (number, default `1.0`)" in kind
    assert "null" not in kind and "[object Object]" not in kind
    arg = await hover_text(client, tr, at(text, "stddev: $init", 2))
    assert arg.startswith("argument of **truncated_normal**")
    zeros = await hover_text(client, tr, at(text, "initializer: zeros", 15))
    assert zeros.startswith("**zeros** (initializer)") and "No arguments." in zeros


async def test_hover_on_a_scope_and_a_template_definition(client: LanguageClient) -> None:
    seq = EXAMPLES / "seq2seq.yaml"
    text = seq.read_text()
    await open_doc(client, seq)
    scope = await hover_text(client, seq, at(text, "scope: {ref: emb}", 2))
    assert scope.startswith("**variable scope** `embedding` (reuse: true)")
    assert "re-enters a captured scope" in scope
    definition = await hover_text(client, seq, at(text, "  stacked_lstm:", 3))
    assert definition.startswith("**template stacked_lstm**") and "Used 2 times." in definition


# --------------------------------------------------------------------------- definitions


async def definitions(
    client: LanguageClient, path: Path, pos: types.Position
) -> list[tuple[str, int, int]]:
    result = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc_id(path), position=pos)
    )
    assert isinstance(result, list)
    out = []
    for loc in result:
        assert isinstance(loc, types.Location)
        out.append((loc.uri, loc.range.start.line, loc.range.start.character))
    return out


async def test_definition_of_templates_params_args_and_loops(client: LanguageClient) -> None:
    tr = EXAMPLES / "transformer.yaml"
    text = tr.read_text()
    uri = tr.as_uri()
    await open_doc(client, tr)

    def place(needle: str, nth: int = 0, offset: int = 0) -> tuple[str, int, int]:
        p = at(text, needle, offset, nth)
        return (uri, p.line, p.character)

    assert await definitions(client, tr, at(text, "use: feed_forward", 7)) == [
        place("  feed_forward:", offset=2)
    ]
    assert await definitions(client, tr, at(text, "$hidden]", 2)) == [place("hidden: 512")]
    assert await definitions(client, tr, at(text, "ffn: $ffn}", 7)) == [place("ffn: 4 *")]
    assert await definitions(client, tr, at(text, "layer_${i}", 8)) == [place("as: i", offset=4)]
    # inside a template the argument shadows the param of the same name
    arg = at(text, "{in_dim: $hidden, units: $hidden}", 12)
    assert await definitions(client, tr, arg) == [place("args: {hidden: int}", offset=7)]
    # a `with:` key is the template's argument
    assert await definitions(client, tr, at(text, "with: {hidden: $hidden, ffn", 8)) == [
        place("args: {hidden: int, ffn: int}", offset=7)
    ]


async def test_definition_of_captures_instances_and_includes(
    client: LanguageClient, tmp_path: Path
) -> None:
    seq = EXAMPLES / "seq2seq.yaml"
    text = seq.read_text()
    await open_doc(client, seq)
    capture = at(text, "capture: emb", 9)
    assert await definitions(client, seq, at(text, "{ref: emb}", 7)) == [
        (seq.as_uri(), capture.line, capture.character)
    ]
    tr = EXAMPLES / "transformer.yaml"
    ttext = tr.read_text()
    await open_doc(client, tr)
    first = at(ttext, "instance: tied_embedding", 10)
    second = at(ttext, "instance: tied_embedding", 10, nth=1)
    assert await definitions(client, tr, second) == [(tr.as_uri(), first.line, first.character)]

    write(tmp_path, "blocks.yaml", BLOCKS)
    spec = write(
        tmp_path,
        "inc.yaml",
        "specc: 1\nname: m\ninclude: [blocks.yaml, std/dense]\nbody:\n"
        "  - use: twice\n  - use: dense\n    with: {in_dim: 1, units: 2}\n",
    )
    itext = spec.read_text()
    await open_doc(client, spec)
    assert await definitions(client, spec, at(itext, "blocks.yaml", 1)) == [
        ((tmp_path / "blocks.yaml").as_uri(), 0, 0)
    ]
    assert await definitions(client, spec, at(itext, "std/dense", 1)) == [
        ((STD / "dense.yaml").as_uri(), 0, 0)
    ]
    assert await definitions(client, spec, at(itext, "use: twice", 6)) == [
        ((tmp_path / "blocks.yaml").as_uri(), 2, 2)
    ]
    std_text = (STD / "dense.yaml").read_text()
    dense = at(std_text, "  dense:", 2)
    assert await definitions(client, spec, at(itext, "use: dense", 6)) == [
        ((STD / "dense.yaml").as_uri(), dense.line, dense.character)
    ]
    in_dim = at(std_text, "in_dim: {type", 0)
    assert await definitions(client, spec, at(itext, "in_dim: 1", 1)) == [
        ((STD / "dense.yaml").as_uri(), in_dim.line, in_dim.character)
    ]


async def test_references_of_a_template_and_a_param(client: LanguageClient) -> None:
    mlp = EXAMPLES / "mlp.yaml"
    text = mlp.read_text()
    await open_doc(client, mlp)

    async def refs(pos: types.Position, declaration: bool) -> list[int]:
        result = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=doc_id(mlp),
                position=pos,
                context=types.ReferenceContext(include_declaration=declaration),
            )
        )
        assert result is not None
        return sorted(loc.range.start.line for loc in result)

    uses = [at(text, "use: dense", 6, nth=i).line for i in range(3)]
    definition = at(text, "  dense:", 2).line
    assert await refs(at(text, "use: dense", 6), False) == uses
    assert await refs(at(text, "  dense:", 2), True) == sorted([definition, *uses])
    count = text.count("$hidden")
    hidden = [at(text, "hidden: 256").line, *(at(text, "$hidden", 1, n).line for n in range(count))]
    assert await refs(at(text, "$hidden", 2), True) == sorted(hidden)


# --------------------------------------------------------------------------- completion

TYPING = """\
specc: 1
name: m
params:
  hidden: 64
templates:
  block:
    doc: Two layers.
    args: {width: int, deep: {type: bool, default: false}}
    body:
      - var: w
        shape: [$width, $width]
body:
  - scope: enc
    body:
      - var: w
        shape: [3]
        initializer: {truncated_normal: {std
"""


#: the version last sent for each document the completion tests type into
_VERSIONS: dict[str, int] = {}


async def labels_at(
    client: LanguageClient, path: Path, text: str, needle: str, offset: int = 0
) -> dict[str, types.CompletionItem]:
    """Type `text` into `path` (opening it the first time), complete at `needle`
    (+ offset); the items by label."""
    uri = path.as_uri()
    if uri not in _VERSIONS:
        _VERSIONS[uri] = 1
        await open_doc(client, path, TYPING.split("body:\n  - scope", maxsplit=1)[0] + "body: []\n")
    _VERSIONS[uri] += 1
    await change(client, path, text, _VERSIONS[uri])
    items = await completion_labels(client, path, at(text, needle, offset))
    assert all(i.label and "[object Object]" not in i.label for i in items)
    for i in items:
        doc = i.documentation
        text_doc = doc.value if isinstance(doc, types.MarkupContent) else str(doc or "")
        assert "Default value: null" not in text_doc and "[object Object]" not in text_doc
    return {i.label: i for i in items}


async def test_completion_of_catalog_arguments_while_typing(
    client: LanguageClient, tmp_path: Path
) -> None:
    spec = tmp_path / "typing.yaml"
    items = await labels_at(client, spec, TYPING, "{std", 4)
    assert list(items) == ["mean", "stddev"]
    stddev = items["stddev"]
    assert stddev.detail == "number = 1.0"
    assert stddev.text_edit is not None and stddev.text_edit.new_text == "stddev: "
    assert isinstance(stddev.text_edit, types.TextEdit)
    assert stddev.text_edit.range.start == at(TYPING, "{std", 1)


async def test_completion_of_statement_kinds_and_keys(
    client: LanguageClient, tmp_path: Path
) -> None:
    spec = tmp_path / "kinds.yaml"
    text = TYPING.replace("        initializer: {truncated_normal: {std\n", "      - \n")
    kinds = await labels_at(client, spec, text, "      - \n", 8)
    assert list(kinds) == [
        "var",
        "scope",
        "reuse_variables",
        "name_scope",
        "op",
        "use",
        "repeat",
        "thread",
    ]
    assert kinds["use"].detail == "statement"
    text = TYPING.replace("        initializer: {truncated_normal: {std\n", "        par\n")
    keys = await labels_at(client, spec, text, "        par", 11)
    assert "partitioner" in keys and "shape" not in keys and "var" not in keys
    assert keys["partitioner"].documentation is not None
    top = await labels_at(client, spec, "specc: 1\nna\n", "na", 2)
    assert "name" in top and "specc" not in top


async def test_completion_of_kinds_templates_and_with_arguments(
    client: LanguageClient, tmp_path: Path
) -> None:
    spec = tmp_path / "kinds2.yaml"
    text = TYPING.replace("{truncated_normal: {std", "he_")
    kinds = await labels_at(client, spec, text, "initializer: he_", 16)
    assert {"he_normal", "he_uniform", "glorot_uniform", "zeros"} <= set(kinds)
    assert kinds["he_normal"].detail == "initializer"
    use = TYPING.replace("        initializer: {truncated_normal: {std\n", "      - use: \n")
    templates = await labels_at(client, spec, use, "- use: \n", 7)
    assert templates["block"].detail == f"template ({spec})"
    # std layers, which the spec does not include yet: adding one adds the include
    dense = templates["dense"]
    assert dense.detail == "std template (adds include: [std])"
    assert dense.additional_text_edits is not None
    (edit,) = dense.additional_text_edits
    assert edit.new_text == "include: [std]\n"
    assert edit.range.start == types.Position(4, 0)  # before `templates:`
    args = use.replace("      - use: \n", "      - use: block\n        with: {\n")
    with_items = await labels_at(client, spec, args, "with: {", 7)
    assert list(with_items) == ["width", "deep"]
    assert with_items["deep"].detail == "bool = false"


async def test_completion_of_names_and_values(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "names.yaml"
    text = TYPING.replace("        initializer: {truncated_normal: {std\n", "        dtype: \n")
    dtypes = await labels_at(client, spec, text, "dtype: \n", 7)
    assert list(dtypes)[:3] == ["float16", "bfloat16", "float32"]
    names = TYPING.replace("shape: [3]", "shape: [$]")
    params = await labels_at(client, spec, names, "[$]", 2)
    assert list(params) == ["hidden"]
    assert params["hidden"].detail == "param = 64"
    in_template = TYPING.replace("shape: [$width, $width]", "shape: [$width, $]")
    visible = await labels_at(client, spec, in_template, "$width, $]", 9)
    assert list(visible) == ["width", "deep", "hidden"]
    refs = TYPING.replace("  - scope: enc\n", "  - scope: enc\n    capture: c1\n").replace(
        "        initializer: {truncated_normal: {std\n",
        "      - scope: {ref: }\n"
        "      - use: block\n        instance: one\n        with: {width: 1}\n"
        "      - use: block\n        instance: \n",
    )
    assert list(await labels_at(client, spec, refs, "{ref: }", 6)) == ["c1"]
    assert list(await labels_at(client, spec, refs, "instance: \n", 10)) == ["one"]
    include = "specc: 1\nname: m\ninclude: [\nbody: []\n"
    entries = await labels_at(client, spec, include, "include: [", 10)
    assert "std" in entries and "std/dense" in entries


# --------------------------------------------------------------------------- outline, hints


async def test_document_symbols_outline_scopes_templates_and_variables(
    client: LanguageClient,
) -> None:
    seq = EXAMPLES / "seq2seq.yaml"
    await open_doc(client, seq)
    result = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc_id(seq))
    )
    assert result is not None
    top = [s for s in result if isinstance(s, types.DocumentSymbol)]
    assert [s.name for s in top] == ["params", "templates", "embedding", "encoder", "decoder"]
    params, templates, embedding, _, decoder = top
    assert [(c.name, c.detail) for c in params.children or []][:2] == [
        ("vocab", "32000"),
        ("embed_dim", "512"),
    ]
    assert [c.name for c in templates.children or []] == ["lstm_cell", "stacked_lstm"]
    assert embedding.kind == types.SymbolKind.Namespace
    (var,) = embedding.children or []
    assert (var.name, var.kind, var.detail) == (
        "embeddings",
        types.SymbolKind.Variable,
        "embedding/embeddings [32000, 512]",
    )
    assert [c.name for c in decoder.children or []] == [
        "{ref: emb}",
        "use stacked_lstm",
        "output_projection",
    ]
    for s in top:
        assert s.range.start <= s.selection_range.start  # type: ignore[operator]


async def test_inlay_hints_give_full_names_and_shapes(client: LanguageClient) -> None:
    cnn = EXAMPLES / "cnn.yaml"
    text = cnn.read_text()
    await open_doc(client, cnn)
    whole = types.Range(start=types.Position(0, 0), end=types.Position(len(text.splitlines()), 0))
    hints = await client.text_document_inlay_hint_async(
        types.InlayHintParams(text_document=doc_id(cnn), range=whole)
    )
    assert hints is not None
    by_line = {h.position.line: h for h in hints}
    kernel = at(text, "var: kernel", 11)
    hint = by_line[kernel.line]
    assert hint.position == kernel
    assert hint.label == "cnn/block1/conv2d/kernel [3, 3, 3, 32] (+2 more)"
    assert isinstance(hint.tooltip, str)
    assert "cnn/block3/conv2d/kernel [3, 3, 64, 128] float32" in hint.tooltip
    assert len(hints) == 8  # every var statement of the spec ran


# --------------------------------------------------------------------------- code actions


async def actions_at(
    client: LanguageClient, path: Path, diagnostic: types.Diagnostic
) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc_id(path),
            range=diagnostic.range,
            context=types.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert result is not None
    return [a for a in result if isinstance(a, types.CodeAction)]


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Apply edits (ASCII text: columns are characters)."""
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for edit in sorted(
        edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True
    ):
        a = offsets[edit.range.start.line] + edit.range.start.character
        b = offsets[edit.range.end.line] + edit.range.end.character
        text = text[:a] + edit.new_text + text[b:]
    return text


def only_edits(action: types.CodeAction, uri: str) -> list[types.TextEdit]:
    assert action.edit is not None and action.edit.changes is not None
    return list(action.edit.changes[uri])


async def test_quick_fix_did_you_mean(client: LanguageClient, tmp_path: Path) -> None:
    text = "specc: 1\nname: m\nbody:\n  - var: v\n    shap: [2]\n    dtype: flaot32\n"
    spec = write(tmp_path, "typo.yaml", text)
    diags = await open_doc(client, spec)
    fixed = text
    for d in diags:
        (action,) = await actions_at(client, spec, d)
        assert action.kind == types.CodeActionKind.QuickFix and action.is_preferred
        fixed = apply(fixed, only_edits(action, spec.as_uri()))
    assert fixed == text.replace("shap:", "shape:").replace("flaot32", "float32")
    client.diagnostics.pop(spec.as_uri())
    await change(client, spec, fixed, 2)
    assert await diagnostics_of(client, spec.as_uri()) == []


async def test_quick_fix_include_std(client: LanguageClient, tmp_path: Path) -> None:
    text = "specc: 1\nname: m\nbody:\n  - use: dense\n    with: {in_dim: 2, units: 3}\n"
    spec = write(tmp_path, "std.yaml", text)
    (d,) = await open_doc(client, spec)
    assert d.code == "unknown-ref"
    titles = {a.title: a for a in await actions_at(client, spec, d)}
    fixed = apply(text, only_edits(titles["Add `include: [std]`"], spec.as_uri()))
    assert fixed == text.replace("body:", "include: [std]\nbody:")
    flow = text.replace("body:", "include: []\nbody:")
    spec2 = write(tmp_path, "std2.yaml", flow)
    (d,) = await open_doc(client, spec2)
    (action,) = [a for a in await actions_at(client, spec2, d) if "include" in a.title]
    assert apply(flow, only_edits(action, spec2.as_uri())) == fixed


async def test_quick_fix_reuse(client: LanguageClient, tmp_path: Path) -> None:
    spec = write(tmp_path, "reuse.yaml", EXISTS)
    (d,) = await open_doc(client, spec)
    actions = await actions_at(client, spec, d)
    assert [a.title for a in actions] == [
        "Set `reuse: true` on scope 'foo'",
        "Set `reuse: auto` on scope 'foo'",
    ]
    fixed = apply(EXISTS, only_edits(actions[0], spec.as_uri()))
    second = EXISTS.rindex("  - scope: foo")
    assert fixed == EXISTS[:second] + EXISTS[second:].replace(
        "    body:", "    reuse: true\n    body:", 1
    )
    client.diagnostics.pop(spec.as_uri())
    await change(client, spec, fixed, 2)
    assert await diagnostics_of(client, spec.as_uri()) == []


async def test_hover_on_a_with_key_and_an_include(client: LanguageClient, tmp_path: Path) -> None:
    write(tmp_path, "blocks.yaml", BLOCKS)
    text = (
        "specc: 1\nname: m\ninclude: [blocks.yaml, std/dense]\nbody:\n"
        "  - use: dense\n    with: {in_dim: 1, units: 2}\n"
    )
    spec = write(tmp_path, "hover_inc.yaml", text)
    await open_doc(client, spec)
    arg = await hover_text(client, spec, at(text, "units: 2", 1))
    assert arg.startswith("**argument of template `dense`**")
    assert "Number of output units" in arg
    inc = await hover_text(client, spec, at(text, "blocks.yaml", 2))
    assert inc == f"**include** `{tmp_path / 'blocks.yaml'}`\n\ntemplates: twice"

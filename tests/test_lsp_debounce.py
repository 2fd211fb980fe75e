"""`specc lsp` with a debounce, and a client (Neovim's capabilities) that
counts columns in UTF-8: a burst of edits is checked once, a request checks a
changed document at once, and ranges count bytes as negotiated."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEBOUNCE_MS = 400
CACHE_HOME = tempfile.mkdtemp(prefix="specc-lsp-test-")
LOG = Path(CACHE_HOME) / "server.log"
SPEC = "specc: 1\nname: m\nbody:\n  - var: v\n    shape: [2]\n"


@pytest_lsp.fixture(
    scope="module",
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "specc", "lsp", "--log-file", str(LOG)],
        server_env={**os.environ, "XDG_CACHE_HOME": CACHE_HOME},
    ),
)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim"),
            initialization_options={"debounceMs": DEBOUNCE_MS},
        )
    )
    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, path: Path, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=path.as_uri(), language_id="yaml", version=1, text=text
            )
        )
    )


def _change(client: LanguageClient, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=path.as_uri(), version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def _next_publish(client: LanguageClient) -> types.PublishDiagnosticsParams:
    params = await asyncio.wait_for(
        client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 20
    )
    assert isinstance(params, types.PublishDiagnosticsParams)
    return params


async def test_a_burst_of_edits_is_checked_once(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "burst.yaml"
    _open(client, spec, SPEC)
    assert (await _next_publish(client)).version == 1  # opening checks at once
    start = time.monotonic()
    for version, dim in ((2, 3), (3, 4), (4, 5)):
        _change(client, spec, SPEC.replace("[2]", f"[{dim}]"), version)
    published = await _next_publish(client)
    assert published.version == 4  # versions 2 and 3 were never checked
    assert time.monotonic() - start >= DEBOUNCE_MS / 1000 * 0.9


async def test_a_request_does_not_wait_for_the_debounce(
    client: LanguageClient, tmp_path: Path
) -> None:
    spec = tmp_path / "request.yaml"
    _open(client, spec, SPEC)
    await _next_publish(client)
    _change(client, spec, SPEC.replace("[2]", "[7]"), 2)
    start = time.monotonic()
    # the check the hover makes publishes before the hover is answered
    published = asyncio.ensure_future(_next_publish(client))
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=spec.as_uri()),
            position=types.Position(3, 6),
        )
    )
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert hover.contents.value.startswith("**`v`** `[7]` float32")
    assert time.monotonic() - start < DEBOUNCE_MS / 1000
    assert (await published).version == 2


async def test_ranges_count_utf8_code_units(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "wide.yaml"
    text = (
        'specc: 1\nname: m\nbody:\n  - {var: v, shape: [2], caching_device: "😀", dtype: flaot}\n'
    )
    _open(client, spec, text)
    (d,) = (await _next_publish(client)).diagnostics
    line = text.split("\n")[3]
    start = line.index("flaot") + 3  # the emoji is four UTF-8 code units
    assert d.range == types.Range(
        start=types.Position(3, start), end=types.Position(3, start + len("flaot"))
    )


async def test_the_standard_library_is_parsed_once(client: LanguageClient, tmp_path: Path) -> None:
    spec = tmp_path / "std.yaml"
    text = (
        "specc: 1\nname: m\ninclude: [std]\nbody:\n"
        "  - use: dense\n    with: {in_dim: 2, units: 3}\n"
    )
    _open(client, spec, text)
    assert list((await _next_publish(client)).diagnostics) == []
    for version in (2, 3):
        _change(client, spec, text.replace("units: 3", f"units: {version}"), version)
        assert (await _next_publish(client)).version == version
    checks = [line for line in LOG.read_text().splitlines() if f"checked {spec.as_uri()}" in line]
    assert len(checks) == 3
    parsed = [int(line.split("; ")[1].split()[0]) for line in checks]
    reused = [int(line.split(", ")[-1].split()[0]) for line in checks]
    # the first check of the session may parse the library (another test may
    # have), the later ones never do
    std = len(list((Path(__file__).parent.parent / "specc" / "stdlib").glob("*.yaml")))
    assert parsed[1:] == [0, 0] and reused[1:] == [std, std]

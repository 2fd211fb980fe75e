"""`specc lsp`: the language server (the `specc[lsp]` extra, built on pygls 2).

The server drives the one pipeline (`specc.source.load_text`, then
`specc.pipeline.compile_loaded`) on every change of a document, with an
observer that maps each statement to what the scope engine made of it, and
answers editor requests from that analysis:

- `positions`: spans (1-based code points) <-> LSP ranges (client units);
- `files`: display paths of a load <-> files and URIs (the std library's too);
- `analysis`: one document's compilation, its observer records and diagnostics;
- `tree`: what the located YAML tree holds at a cursor position;
- `outline`: where the cursor is in text being typed (often not YAML yet);
- `index`: definitions and references (templates, instances, captures, params,
  template arguments, loop variables, includes);
- `diagnostics`, `hover`, `completion`, `symbols`, `actions`: the features;
- `docs`: Markdown for catalog kinds, templates and diagnostic codes;
- `server`: the pygls server object, which owns all state.

The features speak lsprotocol's types; only `server` imports pygls itself.
`specc.cli.lsp` imports the server when `specc lsp` runs, so no other command
pays for either.
"""

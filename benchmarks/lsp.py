"""Language-server latency: how long `specc lsp` takes to re-check a spec after
an edit, measured from outside over stdio with real JSON-RPC.

For each spec (1,000 and 16,000 variables, each written out in full and with
`repeat`), the script starts `python -m specc lsp`, opens the spec, then makes
one-character edits (a dimension alternates between 512 and 513, so every
edit changes the table) and times, per edit:

- `diagnostics`: from sending `didChange` to receiving the
  `publishDiagnostics` of that version, with the debounce set to 0
  (`initializationOptions.debounceMs`), so the time is the check itself plus
  the protocol: what an editor waits for after the debounce;
- `hover`: from sending `didChange` to the answer of a `hover` on a `var`
  sent right after it, with the default debounce: a request checks a changed
  document at once, so this is what a user waiting on the editor sees.

It prints the median (and the 90th percentile) of each, in wall-clock
milliseconds, and the server's CPU time per edit (its user + system time over
the measured edits, from /proc, on Linux): on a shared machine the wall time
grows with the load, the CPU time much less. The first edits are warm-up and
not counted.

    python benchmarks/lsp.py [--edits 30] [--big-edits 10] [--only small|big]

Targets: a 1,000-variable spec re-checked within 50 ms (median), a
16,000-variable spec within 500 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

D = 512
LAYER = [
    ("attention/query/kernel", f"[{D}, {D}]"),
    ("attention/query/bias", f"[{D}]"),
    ("attention/key/kernel", f"[{D}, {D}]"),
    ("attention/key/bias", f"[{D}]"),
    ("attention/value/kernel", f"[{D}, {D}]"),
    ("attention/value/bias", f"[{D}]"),
    ("attention/output/kernel", f"[{D}, {D}]"),
    ("attention/output/bias", f"[{D}]"),
    ("ffn/intermediate/kernel", f"[{D}, {4 * D}]"),
    ("ffn/intermediate/bias", f"[{4 * D}]"),
    ("ffn/output/kernel", f"[{4 * D}, {D}]"),
    ("ffn/output/bias", f"[{D}]"),
    ("ln_1/gamma", f"[{D}]"),
    ("ln_1/beta", f"[{D}]"),
    ("ln_2/gamma", f"[{D}]"),
    ("ln_2/beta", f"[{D}]"),
]
#: the line every edit changes (its last dimension alternates 512 / 513)
EDITED = "  - var: head/probe\n    shape: [512]\n"


def _vars(indent: str) -> list[str]:
    out = []
    for name, shape in LAYER:
        out += [f"{indent}- var: {name}", f"{indent}  shape: {shape}"]
        init = "{truncated_normal: {stddev: 0.02}}" if name.endswith("kernel") else "zeros"
        out.append(f"{indent}  initializer: {init}")
    return out


def spec(variables: int, *, unrolled: bool) -> str:
    """A transformer-like spec with exactly `variables` variables (16 a layer;
    the rest, the last the probe that edits change, in a scope of their own)."""
    layers, rest = divmod(variables - 1, len(LAYER))
    lines = ["specc: 1", "name: bench", f"params: {{layers: {layers}}}", "body:"]
    lines += ["  - scope: encoder", "    body:"]
    if unrolled:
        for i in range(layers):
            lines += [f"      - scope: layer_{i}", "        body:", *_vars("          ")]
    elif layers:
        lines += ["      - repeat: $layers", "        as: i", "        body:"]
        lines += ["          - scope: layer_${i}", "            body:", *_vars("              ")]
    for j in range(rest):
        lines += [f"  - var: head/extra_{j}", "    shape: [8]"]
    return "\n".join(lines) + "\n" + EDITED


class Client:
    """A minimal LSP client over a child process's stdio (Content-Length framing)."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while (line := out.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.messages.put(json.loads(out.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        """Write one message."""
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        """Send a notification."""
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> int:
        """Send a request; its id."""
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        return self.next_id

    def wait(self, match: Callable[[dict[str, Any]], bool], timeout: float = 120) -> dict[str, Any]:
        """The next message `match` accepts (others are dropped)."""
        end = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.0, end - time.monotonic()))
            if match(message):
                return message

    def answer(self, request_id: int) -> Any:
        """The result of a request."""
        return self.wait(lambda m: m.get("id") == request_id and "method" not in m).get("result")

    def close(self) -> None:
        """Shut the server down as a client does."""
        self.answer(self.request("shutdown", None))
        self.notify("exit", None)
        self.proc.wait(timeout=30)


def _published(uri: str, version: int) -> Callable[[dict[str, Any]], bool]:
    def match(m: dict[str, Any]) -> bool:
        p = m.get("params") or {}
        return (
            m.get("method") == "textDocument/publishDiagnostics"
            and p.get("uri") == uri
            and p.get("version") == version
        )

    return match


def cpu_seconds(pid: int) -> float | None:
    """A process's user + system CPU seconds so far (None where /proc is not)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    text: str, edits: int, *, debounce_ms: int, hover: bool
) -> tuple[list[float], float | None]:
    """Milliseconds per edit (warm-up edits excluded), and the server's CPU
    milliseconds per measured edit."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.yaml"
        path.write_text(text)
        uri = path.as_uri()
        client = Client([sys.executable, "-m", "specc", "lsp"])
        init = {"processId": None, "rootUri": None, "capabilities": {}}
        client.answer(
            client.request(
                "initialize", {**init, "initializationOptions": {"debounceMs": debounce_ms}}
            )
        )
        client.notify("initialized", {})
        client.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}},
        )
        client.wait(_published(uri, 1))
        row = text.count("\n", 0, text.index(EDITED)) + 1  # the `shape: [512]` line
        probe = {"textDocument": {"uri": uri}, "position": {"line": row - 1, "character": 6}}
        times = []
        warmup = 3
        cpu_start: float | None = None
        for i in range(edits + warmup):
            if i == warmup:
                cpu_start = cpu_seconds(client.proc.pid)
            version = i + 2
            new = "513" if i % 2 == 0 else "512"
            change = {
                "range": {
                    "start": {"line": row, "character": 12},
                    "end": {"line": row, "character": 15},
                },
                "text": new,
            }
            start = time.perf_counter()
            client.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
            )
            if hover:
                result = client.answer(client.request("textDocument/hover", probe))
                assert f"[{new}]" in result["contents"]["value"], result
            else:
                client.wait(_published(uri, version))
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1000)
        cpu_end = cpu_seconds(client.proc.pid)
        client.close()
        cpu = None
        if cpu_start is not None and cpu_end is not None:
            cpu = (cpu_end - cpu_start) * 1000 / edits
        return times, cpu


def _stats(times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{statistics.median(times):8.1f} {p90:8.1f}"


def main() -> None:
    """Measure every spec and print the table and the verdicts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=30, help="edits of the 1,000-variable specs")
    parser.add_argument(
        "--big-edits", type=int, default=10, help="edits of the 16,000-variable ones"
    )
    parser.add_argument("--only", choices=["small", "big"], help="run one size only")
    args = parser.parse_args()
    sizes = {"small": [(1000, args.edits)], "big": [(16000, args.big_edits)]}
    runs = sizes.get(args.only or "", sizes["small"] + sizes["big"])
    print(f"{'spec':22} {'lines':>7}  {'diagnostics ms':>17}  {'hover ms':>17}  {'server':>8}")
    print(f"{'':22} {'':>7}  {'median':>8} {'p90':>8}  {'median':>8} {'p90':>8}  {'cpu ms':>8}")
    medians: dict[tuple[int, str], float] = {}
    for variables, edits in runs:
        for form in ("unrolled", "repeat"):
            text = spec(variables, unrolled=form == "unrolled")
            diag, cpu = measure(text, edits, debounce_ms=0, hover=False)
            hov, _ = measure(text, edits, debounce_ms=150, hover=True)
            medians[(variables, form)] = statistics.median(diag)
            label = f"{variables:,} vars, {form}"
            used = f"{cpu:8.1f}" if cpu is not None else f"{'?':>8}"
            lines = text.count("\n")
            print(f"{label:22} {lines:7,}  {_stats(diag)}  {_stats(hov)}  {used}", flush=True)
    for (variables, form), median in medians.items():
        target = 50 if variables <= 1000 else 500
        verdict = "meets" if median <= target else "MISSES"
        print(f"{variables:,} vars {form}: median {median:.1f} ms {verdict} the {target} ms target")


if __name__ == "__main__":
    main()

"""Outputs are atomic and refuse what they must not touch (docs/reliability.md):
the old file stays whole until the new one is complete, and nothing is left
behind by an error, a signal or a kill."""

from __future__ import annotations

import errno
import os
import signal
import socket
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from specc.cli import main
from specc.formats import atomic
from specc.formats.atomic import OutputError, atomic_output, write_atomic

ROOT = Path(__file__).resolve().parent.parent
MLP = str(ROOT / "examples" / "mlp.yaml")


def leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.fixture(params=["unnamed", "named"])
def temporaries(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with Linux's unnamed temporaries and with the named fallback."""
    if request.param == "named":
        monkeypatch.setattr(atomic, "_open_unnamed", lambda folder: None)
    elif atomic._open_unnamed(".") is None:
        pytest.skip("no O_TMPFILE here")
    return str(request.param)


def test_replaces_the_file_with_the_mode_open_gives(tmp_path: Path, temporaries: str) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    write_atomic(target, "new")
    assert target.read_text() == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert leftovers(tmp_path, {"out.txt"}) == []


def test_a_failure_inside_leaves_the_old_file_and_nothing_else(
    tmp_path: Path, temporaries: str
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_output(target) as f:
        f.write(b"half of the new")
        raise RuntimeError("stop")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path, {"out.bin"}) == []


class _FullDisk:
    """A file whose every write fails as on a full disk."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def __enter__(self) -> _FullDisk:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def flush(self) -> None:
        pass


def test_a_full_disk_is_one_line_and_leaves_nothing(
    tmp_path: Path, temporaries: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    monkeypatch.setattr(atomic.os, "fdopen", _FullDisk)
    with pytest.raises(OutputError) as info:
        write_atomic(target, b"data")
    assert str(info.value) == f"cannot write {target}: No space left on device"
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path, {"out.bin"}) == []


def test_permission_denied_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(atomic.os, "open", refuse)
    with pytest.raises(OutputError) as info:
        write_atomic(tmp_path / "out.txt", "x")
    assert str(info.value) == f"cannot write {tmp_path / 'out.txt'}: Permission denied"


@pytest.mark.parametrize("kind", ["directory", "fifo", "device", "socket"])
def test_refuses_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "target"
    sock = None
    if kind == "directory":
        target.mkdir()
    elif kind == "fifo":
        os.mkfifo(target)
    elif kind == "device":
        target = Path("/dev/null")
    else:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(target))
    try:
        with pytest.raises(OutputError) as info:
            write_atomic(target, "x")
        assert str(info.value).startswith(f"cannot write {target}: it is a")
    finally:
        if sock is not None:
            sock.close()


def test_refuses_a_missing_folder_and_a_file_as_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        write_atomic(tmp_path / "no" / "out.txt", "x")
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="is not a folder"):
        write_atomic(tmp_path / "file" / "out.txt", "x")


def test_stale_named_temporaries_are_removed_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    gone = tmp_path / f".out.txt.specc-{int(dead.stdout)}.tmp"
    alive = tmp_path / f".out.txt.specc-{os.getppid()}.tmp"
    gone.write_text("stale")
    alive.write_text("someone is writing")
    write_atomic(tmp_path / "out.txt", "x")
    assert not gone.exists()
    assert alive.exists()


# ------------------------------------------------------------------ killed

#: writes half of OUT, says so, then waits to be killed or signalled
_SLOW_WRITER = textwrap.dedent(
    """
    import sys, time
    from specc.formats import atomic
    if sys.argv[2] == "named":
        atomic._open_unnamed = lambda folder: None
    with atomic.atomic_output(sys.argv[1]) as f:
        f.write(b"x" * 1_000_000)
        f.flush()
        print("writing", flush=True)
        time.sleep(60)
        f.write(b"y")
    """
)


def _start_slow_writer(target: Path, mode: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(target), mode],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == "writing\n"
    return proc


def test_sigkill_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    if atomic._open_unnamed(str(tmp_path)) is None:
        pytest.skip("no O_TMPFILE here")
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    proc = _start_slow_writer(target, "unnamed")
    proc.kill()
    proc.wait()
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path, {"out.bin"}) == []


def test_after_sigkill_with_named_temporaries_the_next_write_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    proc = _start_slow_writer(target, "named")
    proc.kill()
    proc.wait()
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path, {"out.bin"}) == [f".out.bin.specc-{proc.pid}.tmp"]
    write_atomic(target, b"new")
    assert leftovers(tmp_path, {"out.bin"}) == []


# ------------------------------------------------------------------ the command line

#: `specc schema -o OUT` whose writing stalls halfway, to be stopped by a signal
_SLOW_SCHEMA = textwrap.dedent(
    """
    import sys, time
    from specc.formats import atomic
    real = atomic.write_atomic
    def slow(path, data):
        with atomic.atomic_output(path) as f:
            f.write(data[: len(data) // 2].encode())
            f.flush()
            print("writing", flush=True)
            time.sleep(60)
    atomic.write_atomic = slow
    from specc.cli import main
    sys.exit(main(["schema", "-o", sys.argv[1]]))
    """
)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_exits_cleanly(tmp_path: Path, signum: int) -> None:
    target = tmp_path / "schema.json"
    target.write_text("old")
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SCHEMA, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    time.sleep(0.05)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signum
    name = signal.Signals(signum).name
    expected = "interrupted" if signum == signal.SIGINT else f"stopped by {name}"
    assert err.splitlines() == [f"specc: {expected}; nothing was written"]
    assert target.read_text() == "old"
    assert leftovers(tmp_path, {"schema.json"}) == []


def test_compile_refuses_a_fifo_without_reading_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "m.py"
    os.mkfifo(fifo)
    assert main(["compile", MLP, "-o", str(fifo)]) == 2
    assert capsys.readouterr().err == f"specc: error: cannot write {fifo}: it is a FIFO\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["schema", "-o", "{tmp}/no/s.json"],
            "cannot write {tmp}/no/s.json: {tmp}/no does not exist",
        ),
        (["compile", MLP, "-o", "{tmp}"], "cannot write {tmp}: it is a directory"),
        (
            ["schema", "-o", "{tmp}/f/s.json"],
            "cannot write {tmp}/f/s.json: {tmp}/f is not a folder",
        ),
        # init, whichever format and path writes the file
        *(
            (
                ["init", MLP, "-q", "-o", f"{{tmp}}/no/p.{suffix}", *more],
                f"cannot write {{tmp}}/no/p.{written}: {{tmp}}/no does not exist",
            )
            for suffix, more, written in [
                ("npz", [], "npz"),
                ("safetensors", [], "safetensors"),
                ("safetensors", ["--workers", "2"], "safetensors"),
                ("ckpt", [], "ckpt.index"),
            ]
        ),
        (
            ["init", MLP, "-q", "-o", "{tmp}/f/p.npz"],
            "cannot write {tmp}/f/p.npz: {tmp}/f is not a folder",
        ),
    ],
)
def test_writers_report_bad_targets_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    (tmp_path / "f").write_text("")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"specc: error: {message.replace('{tmp}', str(tmp_path))}\n"


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        # a FIFO is refused from its metadata, never opened (that would block)
        ("fifo", ["-o", "{tmp}/p.npz"], "cannot write {tmp}/p.npz: it is a FIFO"),
        ("fifo", ["-o", "{tmp}/p.npz", "--force"], "cannot write {tmp}/p.npz: it is a FIFO"),
        # a folder of shards under a file, or over one (even with --force)
        (
            "file",
            ["-o", "{tmp}/p.npz/shards"],
            "cannot write {tmp}/p.npz/shards: {tmp}/p.npz is not a folder",
        ),
        (
            "file",
            ["-o", "{tmp}/p.npz/shards", "--workers", "2"],
            "cannot write {tmp}/p.npz/shards: {tmp}/p.npz is not a folder",
        ),
        ("shards-file", ["-o", "{tmp}/shards", "--force"], "-o {tmp}/shards: a file, not a folder"),
        # a TF checkpoint whose index name is taken by a folder
        ("index-dir", ["-o", "{tmp}/m.ckpt"], "cannot write {tmp}/m.ckpt.index: it is a directory"),
    ],
)
def test_init_refuses_unwritable_outputs_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: str, args: list[str], message: str
) -> None:
    if make == "fifo":
        os.mkfifo(tmp_path / "p.npz")
    elif make == "file":
        (tmp_path / "p.npz").write_text("")
    elif make == "shards-file":
        (tmp_path / "shards").write_text("")
    else:
        (tmp_path / "m.ckpt.index").mkdir()
    before = sorted(os.listdir(tmp_path))
    argv = ["init", MLP, *(a.replace("{tmp}", str(tmp_path)) for a in args)]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"specc: error: {message.replace('{tmp}', str(tmp_path))}\n"
    assert sorted(os.listdir(tmp_path)) == before


def test_a_warm_start_into_a_missing_folder_says_only_that(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old.npz"
    assert main(["init", MLP, "-q", "-o", str(old)]) == 0
    assert main(["init", MLP, "--warm-start", str(old), "-o", f"{tmp_path}/no/p.npz"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert (
        captured.err
        == f"specc: error: cannot write {tmp_path}/no/p.npz: {tmp_path}/no does not exist\n"
    )

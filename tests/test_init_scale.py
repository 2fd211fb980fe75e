"""`specc init` at scale: variables larger than the address-space limit
stream (safetensors, npz; a TF checkpoint or a whole-variable kind is a
one-line `limit` error), outputs specc did not write are refused without
`--force`, the progress bar (tqdm) on a terminal or forced into a pipe, and
SIGINT/SIGTERM/SIGHUP stopping a long run cleanly, with and without
workers."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pty
import resource
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open
from safetensors.numpy import save_file

from specc.cli import main
from specc.cli.distribute import FAULT_ENV

SPECC = [sys.executable, "-m", "specc"]


def _spec(tmp: Path, shape: str, init: str = "random_uniform", name: str = "m") -> Path:
    spec = tmp / f"{name}.yaml"
    spec.write_text(
        f"specc: 1\nname: {name}\nbody:\n  - var: w\n    shape: {shape}\n    initializer: {init}\n"
    )
    return spec


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder on tmpfs when there is one with room (these tests write
    gigabytes; the disk is not what they test), else the test's folder (a
    container's /dev/shm is often 64 MB); removed after."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK) and shutil.disk_usage(shm).free > 3 << 30):
        yield tmp_path
        return
    folder = Path(tempfile.mkdtemp(prefix="specc-test-", dir=shm))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ------------------------------------------------------------------ streaming

#: the address space the child may use, and a variable twice as large
LIMIT = 512 << 20
ROWS = 262144  # x 1024 float32 = 1 GiB


def _limited(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    return subprocess.run(
        argv, cwd=cwd, preexec_fn=limit, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_a_variable_larger_than_the_address_space_streams(
    tmp_path: Path, fast_dir: Path, suffix: str
) -> None:
    spec = _spec(tmp_path, f"[{ROWS}, 1024]")
    small = _spec(tmp_path, "[64, 1024]", name="small")  # same name, same first blocks
    out = fast_dir / f"w{suffix}"
    r = _limited([*SPECC, "init", str(spec), "-o", str(out)], tmp_path)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > LIMIT * 2
    ref = tmp_path / "small.npz"
    assert main(["init", str(small), "-o", str(ref)]) == 0
    head = np.load(ref)["w"].reshape(-1)
    if suffix == ".safetensors":
        with safe_open(str(out), framework="numpy") as f:
            got = f.get_slice("w")[:64]
            assert f.get_slice("w").get_shape() == [ROWS, 1024]
    else:
        got = _npz_head(out, 64 * 1024)
    np.testing.assert_array_equal(got.reshape(-1), head)


def _npz_head(path: Path, count: int) -> np.ndarray:
    """The first `count` float32 values of the one member of an .npz, read
    without loading it (it is larger than this process may hold)."""
    with zipfile.ZipFile(path) as zf, zf.open(zf.infolist()[0]) as f:
        version = np.lib.format.read_magic(f)
        read = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, _, dtype = read(f)
        assert shape == (ROWS, 1024) and dtype == np.float32
        return np.frombuffer(f.read(count * 4), np.float32)


@pytest.mark.parametrize(
    ("suffix", "init", "why"),
    [
        (".ckpt", "random_uniform", "TF checkpoints are written a whole variable at a time"),
        (".safetensors", "zeros", "its initializer builds the whole variable"),
    ],
)
def test_no_stream_is_a_one_line_limit_error(
    tmp_path: Path, suffix: str, init: str, why: str
) -> None:
    spec = _spec(tmp_path, f"[{ROWS}, 1024]", init)
    r = _limited([*SPECC, "init", str(spec), "-o", str(tmp_path / f"w{suffix}")], tmp_path)
    assert r.returncode == 1
    assert r.stderr.startswith("specc: error: limit: a variable does not fit in memory: ")
    assert why in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("w")]


# ------------------------------------------------------------------ refusal


def test_foreign_outputs_are_refused_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = str(_spec(tmp_path, "[4, 3]"))
    npz, st, folder = tmp_path / "p.npz", tmp_path / "p.safetensors", tmp_path / "dir"
    np.savez(npz, w=np.zeros((4, 3), np.float32))
    save_file({"w": np.zeros((4, 3), np.float32)}, str(st))
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    for out in (npz, st, folder):
        before = sorted(p.name for p in tmp_path.rglob("*"))
        assert main(["init", spec, "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert "not written by specc; pass --force to overwrite it" in err
        assert sorted(p.name for p in tmp_path.rglob("*")) == before
        assert main(["init", spec, "-o", str(out), "--force"]) == 0
        # now specc's: replaced without --force
        assert main(["init", spec, "-o", str(out), "--seed", "3"]) == 0
    assert (folder / "notes.txt").read_text() == "mine"  # --force writes beside it


def test_a_tf_checkpoint_of_other_variables_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = str(_spec(tmp_path, "[4, 3]"))
    other = str(_spec(tmp_path, "[5, 3]", name="other"))
    ckpt = str(tmp_path / "model.ckpt")
    assert main(["init", other, "-o", ckpt]) == 0
    assert main(["init", spec, "-o", ckpt]) == 2
    assert "TF checkpoint of other variables" in capsys.readouterr().err
    assert main(["init", other, "-o", ckpt, "--seed", "2"]) == 0  # its own: fine
    assert main(["init", spec, "-o", ckpt, "--force"]) == 0


# ------------------------------------------------------------------ progress


def test_progress_forced_into_a_pipe(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "[2048, 1024]", "{truncated_normal: {stddev: 0.02}}")
    r = subprocess.run(
        [*SPECC, "init", str(spec), "-o", str(tmp_path / "w.npz"), "--progress", "--threads", "1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "init: 100%" in r.stderr
    assert "8.00M/8.00M" in r.stderr  # bytes done of the total
    assert "B/s]" in r.stderr and "<00:00" in r.stderr  # throughput, ETA
    assert r.stderr.endswith("\n")
    quiet = subprocess.run(
        [*SPECC, "init", str(spec), "-o", str(tmp_path / "w.npz"), "--quiet"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert quiet.stderr == quiet.stdout == ""


def _pty_run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run with stderr (and stdout) on a pseudo-terminal; its exit status and
    what the terminal showed."""
    leader, follower = pty.openpty()
    # a new pseudo-terminal has no size: give it a real terminal's 24 x 100
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen(argv, cwd=cwd, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_progress_on_a_terminal_and_errors_on_their_own_line(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "[4096, 1024]", "{truncated_normal: {stddev: 0.02}}")
    code, shown = _pty_run([*SPECC, "init", str(spec), "-o", "w.safetensors"], tmp_path)
    assert code == 0
    assert "\r" in shown and "init: 100%" in shown and "B/s" in shown
    assert shown.rstrip().endswith("1 variable, 16,777,216 bytes")
    # a task that fails after the bar is drawn: the bar's line ends first
    victim = "model.safetensors:0"
    argv = [*SPECC, "init", str(spec), "-o", "out", "--workers", "2", "--retries", "0"]
    env = {**os.environ, FAULT_ENV: victim}
    code, shown = _pty_run(argv, tmp_path, env)
    assert code == 1
    before, _, after = shown.partition("specc: error: ")
    assert before.endswith("\n") and "init:" in before
    assert after.startswith(f"task {victim} failed after 1 attempt: its worker process died")


# ------------------------------------------------------------------ signals


def _wait_for(predicate: object, timeout: float = 60) -> None:
    assert callable(predicate)
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.02)


def _tagged_processes(tag: str) -> list[int]:
    """The processes whose environment holds `tag` (the run's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if tag.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.parametrize(
    ("signum", "workers"),
    [
        (signal.SIGINT, "1"),
        (signal.SIGTERM, "1"),
        (signal.SIGHUP, "1"),
        (signal.SIGTERM, "2"),
        (signal.SIGINT, "2"),
    ],
)
def test_a_stop_signal_leaves_the_old_output(
    tmp_path: Path, fast_dir: Path, signum: int, workers: str
) -> None:
    out = fast_dir / "out"
    small = _spec(tmp_path, "[16, 16]", name="small")
    assert main(["init", str(small), "-o", str(out)]) == 0
    old = _digest(out)
    big = _spec(tmp_path, "[1048576, 1024]", "{truncated_normal: {stddev: 0.02}}")
    tag = f"{os.getpid()}-{signum}-{workers}"
    env = {**os.environ, "SPECC_SIGNAL_TEST": tag}
    proc = subprocess.Popen(
        [*SPECC, "init", str(big), "-o", str(out), "--workers", workers],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(lambda: any(p.name.endswith(".specc-partial") for p in out.iterdir()))
    time.sleep(0.3)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, stderr
    name = signal.Signals(signum).name
    expected = (
        "specc: interrupted; nothing was written"
        if signum == signal.SIGINT
        else f"specc: stopped by {name}; nothing was written"
    )
    assert stderr.strip().splitlines() == [expected], stderr
    assert _digest(out) == old  # the old output untouched, no temporaries
    _wait_for(lambda: not _tagged_processes(f"SPECC_SIGNAL_TEST={tag}"), timeout=10)

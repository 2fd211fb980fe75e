"""Initialization written straight to files: `init_file` in one process, or
split into tasks for any executor: `init_tasks`, `run_task` and
`finish_init`.

A task writes one byte range of one `.safetensors` file: the header (for the
range at offset 0) and whole random blocks of the variables the range holds,
straight into the file at their offsets (`pwrite` into a file every task
sizes to its final length), and returns only metadata: the range and the
sha256 of its bytes. Tasks are plain dicts of strings and integers, so they
pickle (and serialize to JSON) anywhere, and `run_task` needs nothing but this
module: Ray, Spark or a batch queue can run them. A file's header depends only
on its tensors' names, shapes and dtypes, and every byte of a range is a pure
function of the task, so the files are the same whatever ran the tasks, in
whatever order.

Several processes (on several machines) write one file, so it is written
under a named temporary beside its target, `.NAME.specc-partial`, and
`finish_init` renames it into place once every range of it is done: no file
stands under its final name half-written.

Within a range, values are computed and written `CHUNK_BYTES` at a time: a
variable of any size streams through a bounded buffer, except the kinds that
build the whole variable (orthogonal, identity, constants, checkpoint), which
are never split across tasks.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, NamedTuple, TypedDict

import numpy as np

from specc.formats.arrays import CheckpointError
from specc.formats.atomic import _file_mode, atomic_output, write_atomic
from specc.formats.bfloat16 import bfloat16_bits, storage_dtype, to_bfloat16
from specc.formats.npz_stream import npz_comment, write_npz_streamed
from specc.formats.params import params_format
from specc.formats.safetensors import _little, safetensors_header
from specc.formats.sharded import (
    MAX_SHARD_SIZE,
    SHARD_INDEX,
    parse_size,
    shard_index_text,
    split_shards,
)
from specc.runtime.api import _metadata, _sampler, _via_float32, _whole
from specc.runtime.generated import _SAMPLERS, SPEC_SHA256
from specc.runtime.prelude import BLOCK_SIZE, Array
from specc.runtime.samplers import _sample_range
from specc.runtime.streams import _check_seed
from specc.runtime.table import VariableInfo, _info, _variables
from specc.runtime.workers import _Workers, _workers

#: Bytes of values computed and written at a time: what bounds a task's memory.
CHUNK_BYTES: Final = 16 << 20
#: Bytes of file a task writes (its last variable may end it a little later):
#: large enough that scheduling costs nothing, small enough to balance the load
#: and to make a retried task cheap.
TASK_BYTES: Final = 64 << 20


class InitTask(TypedDict):
    """One task: write (`op` "write") or check (`op` "verify") bytes
    [offset, offset + length) of a file."""

    op: str
    #: the file's name and the range's number, unique within a run
    id: str
    #: the spec the task was planned for: another module refuses it
    spec_sha256: str
    seed: int
    #: the file's final path, and the path the task writes (or checks)
    file: str
    path: str
    #: the file's full size in bytes
    size: int
    offset: int
    length: int
    #: the file's header bytes (as latin-1 text) for the range at offset 0, else ""
    header: str
    #: (variable, first element, stop element, file offset), contiguous
    pieces: list[tuple[str, int, int, int]]
    #: for "verify": the sha256 the range had when it was written
    sha256: str


class TaskResult(TypedDict):
    """What a task reports: its range and the sha256 of the range's bytes."""

    id: str
    file: str
    path: str
    offset: int
    length: int
    sha256: str


class _File(NamedTuple):
    """One output file of a plan: its path, variables and header."""

    path: str
    variables: tuple[VariableInfo, ...]
    header: bytes
    size: int


def partial_path(path: str) -> str:
    """The named temporary a file is written under until it is complete."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.specc-partial")


def _stored_itemsize(v: VariableInfo) -> int:
    """Bytes per element as stored (a string variable has no fixed size:
    safetensors refuses it, by its header)."""
    return storage_dtype(v.dtype).itemsize


def _nbytes(v: VariableInfo) -> int:
    return v.size * _stored_itemsize(v)


def _entries(
    variables: Sequence[VariableInfo],
) -> list[tuple[str, tuple[int, ...], str]]:
    return [(v.name, v.shape, v.dtype) for v in variables]


def plan_files(path: str, shard_size: int | str | None = None) -> list[_File]:
    """The files of an output: one `.safetensors` file, or a folder of shards
    packed as Hugging Face packs them (`shard_size` bytes, or a size such as
    `5GB`; default 5GB), each with the header its tensors give it."""
    variables = _variables()
    if path.lower().endswith(".safetensors"):
        groups = [(path, variables)]
        metadata = _metadata()
    else:
        size = shard_size if shard_size is not None else MAX_SHARD_SIZE
        limit = parse_size(size) if isinstance(size, str) else size
        if limit < 1:
            raise ValueError(f"a shard size must be at least one byte, got {limit}")
        by_name = {v.name: v for v in variables}
        shards = split_shards([(v.name, _nbytes(v)) for v in variables], limit)
        groups = []
        for file, names in shards:
            groups.append((os.path.join(path, file), tuple(by_name[n] for n in names)))
        # what transformers' save_pretrained writes, then what names the spec
        metadata = {"format": "pt", **_metadata()}
    out = []
    for file, members in groups:
        header = safetensors_header(_entries(members), metadata)
        size = len(header) + sum(_nbytes(v) for v in members)
        out.append(_File(file, tuple(members), header, size))
    return out


def _task(
    f: _File, seed: int, start: int, stop: int, pieces: list[tuple[str, int, int, int]]
) -> InitTask:
    return InitTask(
        op="write",
        id=f"{os.path.basename(f.path)}:{start}",
        spec_sha256=SPEC_SHA256,
        seed=seed,
        file=f.path,
        path=partial_path(f.path),
        size=f.size,
        offset=start,
        length=stop - start,
        header=f.header.decode("latin-1") if start == 0 else "",
        pieces=pieces,
        sha256="",
    )


def _file_tasks(f: _File, seed: int, task_bytes: int) -> list[InitTask]:
    """The tasks of one file: ranges of about `task_bytes`, cut between
    variables or, inside an element-wise variable, between random blocks."""
    tasks: list[InitTask] = []
    pieces: list[tuple[str, int, int, int]] = []
    start = 0
    pos = len(f.header)
    for v in f.variables:
        itemsize = _stored_itemsize(v)
        splittable = v.initializer["kind"] in _SAMPLERS
        if v.size == 0:  # no bytes, but the index must still map it
            pieces.append((v.name, 0, 0, pos))
            continue
        at = 0
        while at < v.size:
            stop = v.size
            if splittable:
                blocks = (task_bytes - (pos - start)) // (BLOCK_SIZE * itemsize)
                if blocks < 1 and pos > start:
                    tasks.append(_task(f, seed, start, pos, pieces))
                    start, pieces = pos, []
                    continue
                stop = min(v.size, at + max(blocks, 1) * BLOCK_SIZE)
            pieces.append((v.name, at, stop, pos))
            pos += (stop - at) * itemsize
            at = stop
            if pos - start >= task_bytes:
                tasks.append(_task(f, seed, start, pos, pieces))
                start, pieces = pos, []
    if pos > start or pieces:
        tasks.append(_task(f, seed, start, pos, pieces))
    return tasks


def init_tasks(
    path: str | os.PathLike[str],
    seed: int | None = None,
    *,
    shard_size: int | str | None = None,
    task_bytes: int = TASK_BYTES,
) -> list[InitTask]:
    """The tasks that write every variable's initial values to `path`: a
    `.safetensors` file, or a folder of shards of at most `shard_size` bytes
    (default 5GB; a larger variable gets a shard of its own) with
    `model.safetensors.index.json`. Run each with `run_task` (anywhere, in
    any order, each once), then call `finish_init(path, tasks, results)`."""
    s = _check_seed(seed)
    if task_bytes < 1:
        raise ValueError(f"task_bytes must be at least 1, got {task_bytes}")
    target = os.fspath(path)
    files = plan_files(target, shard_size)
    return [t for f in files for t in _file_tasks(f, s, task_bytes)]


def _pwrite(fd: int, data: bytes | memoryview, offset: int) -> None:
    """All of `data` at `offset` (pwrite may write less than asked)."""
    view = memoryview(data).cast("B")
    while view:
        n = os.pwrite(fd, view, offset)
        view = view[n:]
        offset += n


def value_chunks(
    v: VariableInfo, seed: int, start: int, stop: int, workers: _Workers
) -> Iterator[Array]:
    """Elements [start, stop) of the flattened variable, `CHUNK_BYTES` at a
    time, at least one chunk (element-wise kinds compute only those; the
    others build the whole variable once). A bfloat16 variable's chunks are
    its float32 twin's, rounded (docs/rng.md)."""
    wide = _via_float32(v)
    sampler = _sampler(v if wide is None else wide)
    width = max(1, _stored_itemsize(v))
    step = max(1, CHUNK_BYTES // (BLOCK_SIZE * width)) * BLOCK_SIZE
    if sampler is None or start == stop:
        flat = _whole(v, seed, workers).reshape(-1)
        for lo in range(start, max(stop, start + 1), step):
            yield flat[lo : min(stop, lo + step)]
        return
    for lo in range(start, stop, step):
        hi = min(stop, lo + step)
        values = _sample_range(wide or v, sampler, seed, lo, hi, workers=workers)
        yield values if wide is None else to_bfloat16(values)


def write_range(
    fd: int,
    task: Mapping[str, Any],
    workers: _Workers,
    progress: Callable[[int], None] | None = None,
    *,
    digest: bool = True,
) -> str:
    """Write a task's bytes to the open file `fd`; their sha256 (or "" when
    not asked for: hashing costs a fifth of the time of sampling).
    `progress(bytes)` after each chunk of values (the header is not counted)."""
    sha = hashlib.sha256() if digest else None
    at = int(task["offset"])
    header = str(task["header"]).encode("latin-1")
    if header:
        _pwrite(fd, header, at)
        if sha is not None:
            sha.update(header)
        at += len(header)
    for name, first, stop, offset in task["pieces"]:
        if offset != at:
            raise ValueError(f"task {task['id']}: pieces are not contiguous at {at}")
        v = _info(name)
        for chunk in value_chunks(v, int(task["seed"]), first, stop, workers):
            bits = bfloat16_bits(chunk) if v.dtype == "bfloat16" else chunk
            data = _little(bits).reshape(-1).view(np.uint8)
            _pwrite(fd, data.data, at)
            if sha is not None:
                sha.update(data.data)
            at += data.nbytes
            if progress is not None:
                progress(data.nbytes)
    if at != task["offset"] + task["length"]:
        raise ValueError(f"task {task['id']}: wrote up to {at}, not the range's end")
    return "" if sha is None else sha.hexdigest()


def _result(task: Mapping[str, Any], sha256: str) -> TaskResult:
    return TaskResult(
        id=task["id"],
        file=task["file"],
        path=task["path"],
        offset=task["offset"],
        length=task["length"],
        sha256=sha256,
    )


def range_sha256(path: str, offset: int, length: int) -> str:
    """The sha256 of bytes [offset, offset + length) of a file (a short file
    gives the digest of what it has)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(offset)
        left = length
        while left > 0:
            data = f.read(min(left, CHUNK_BYTES))
            if not data:
                break
            digest.update(data)
            left -= len(data)
    return digest.hexdigest()


def run_task(
    task: Mapping[str, Any],
    *,
    threads: int | None = 1,
    progress: Callable[[int], None] | None = None,
) -> TaskResult:
    """Run one task of `init_tasks` (or a "verify" task): write its range into
    its file (sized to its full length first, so tasks may run in any order),
    or hash the range. Returns the range and its sha256; holds at most
    `CHUNK_BYTES` of values (per thread) at a time."""
    if task["spec_sha256"] != SPEC_SHA256:
        msg = f"task {task['id']} was planned for another spec ({task['spec_sha256']})"
        raise ValueError(msg)
    if task["op"] == "verify":
        return _result(task, range_sha256(task["path"], task["offset"], task["length"]))
    if task["op"] != "write":
        raise ValueError(f"task {task['id']}: unknown op {task['op']!r}")
    # a folder of shards may not exist yet where the first task runs
    os.makedirs(os.path.dirname(task["path"]) or ".", exist_ok=True)
    fd = os.open(task["path"], os.O_WRONLY | os.O_CREAT, _file_mode())
    workers = _workers(threads)
    try:
        if os.fstat(fd).st_size != task["size"]:
            os.ftruncate(fd, task["size"])
        return _result(task, write_range(fd, task, workers, progress))
    finally:
        workers.close()
        os.close(fd)


def init_file(
    path: str | os.PathLike[str],
    seed: int | None = None,
    *,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Materialize every variable straight to a .npz or .safetensors file,
    atomically, streaming: values are computed and written a chunk
    (`CHUNK_BYTES`) at a time, so a variable larger than memory fits (except
    the kinds that build a whole variable: orthogonal, identity, constants,
    checkpoint); `progress(bytes_written)` after each chunk."""
    target = os.fspath(path)
    s = _check_seed(seed)
    fmt = params_format(target)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done)

    workers = _workers(threads)
    try:
        if fmt == "safetensors":
            tasks = init_tasks(target, s)
            with atomic_output(target) as f:
                for task in tasks:
                    write_range(f.fileno(), task, workers, advance, digest=False)
            return
        if fmt != "npz":
            raise CheckpointError(target, "init_file writes .npz or .safetensors files")
        entries = _entries(_variables())

        def chunks(name: str) -> Iterator[Array]:
            v = _info(name)
            for chunk in value_chunks(v, s, 0, v.size, workers):
                yield chunk
                advance(chunk.nbytes)

        with atomic_output(target) as f:
            write_npz_streamed(f, entries, chunks, npz_comment(_metadata()))
    finally:
        workers.close()


def check_results(
    tasks: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]]
) -> dict[str, list[Mapping[str, Any]]]:
    """Each file's results, in offset order, checked to be those of `tasks`
    (every task once, its range and path); raises ValueError."""
    by_id = {r["id"]: r for r in results}
    files: dict[str, list[Mapping[str, Any]]] = {}
    for t in tasks:
        r = by_id.get(t["id"])
        if r is None:
            raise ValueError(f"task {t['id']} has no result")
        if (r["path"], r["offset"], r["length"]) != (
            t["path"],
            t["offset"],
            t["length"],
        ):
            raise ValueError(f"task {t['id']}: its result is for another range")
        files.setdefault(t["file"], []).append(r)
    for rs in files.values():
        rs.sort(key=lambda r: int(r["offset"]))
    return files


def index_text(tasks: Sequence[Mapping[str, Any]]) -> str | None:
    """The index of a sharded folder written by `tasks`, or None when it has
    one shard (`model.safetensors` alone, as Hugging Face writes it)."""
    shards: dict[str, dict[str, None]] = {}
    total = 0
    for t in tasks:
        names = shards.setdefault(os.path.basename(t["file"]), {})
        for name, first, stop, _ in t["pieces"]:
            names[name] = None
            total += (stop - first) * _stored_itemsize(_info(name))
    if len(shards) < 2:
        return None
    return shard_index_text([(f, list(n)) for f, n in shards.items()], total)


def finish_init(
    path: str | os.PathLike[str],
    tasks: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any]],
) -> None:
    """Once every task has run: check the results cover every task, rename
    each file into place, and, for a folder of several shards, write
    `model.safetensors.index.json` (a stale one is removed for one shard)."""
    target = os.fspath(path)
    files = check_results(tasks, results)
    for file in files:
        partial = partial_path(file)
        if os.path.exists(partial):
            os.replace(partial, file)
        elif not os.path.exists(file):
            raise ValueError(f"{file}: neither written nor in place")
    if target.lower().endswith(".safetensors"):
        return
    index = os.path.join(target, SHARD_INDEX)
    text = index_text(tasks)
    if text is None:
        if os.path.exists(index):
            os.unlink(index)
    else:
        write_atomic(index, text)

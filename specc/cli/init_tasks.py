"""`specc init` through tasks: a sharded folder (`-o DIR`), or a
`.safetensors` file written by several workers.

The module plans the tasks (`init_tasks`); `specc.cli.distribute` runs them
in this process or on workers, each writing its byte range into its file's
temporary, `.NAME.specc-partial`. As each file completes, the folder's
`.specc-progress.json` records its ranges' sha256; when every file is done
they are renamed into place, the index is written, then the manifest
(`.specc-manifest.json`), and files an earlier run wrote that this one does
not (other shard names) are removed. Until then the old output is untouched.

A failure (a task's attempts spent) removes the temporaries of the files
not yet complete and keeps the complete ones with the progress record:
`--resume` re-hashes them (as tasks too), skips those that match and writes
the rest. A stop signal removes every temporary and the progress record.
"""

from __future__ import annotations

import contextlib
import os
import types
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from specc.cli.distribute import ExecutorOptions, Runner, open_runner, run_tasks
from specc.formats.manifest import (
    MANIFEST,
    PROGRESS,
    manifest_ranges,
    manifest_text,
    read_manifest,
    write_manifest,
)

Task = Mapping[str, Any]
Result = Mapping[str, Any]


class InitFailedError(Exception):
    """The run failed; `str()` is one line (what failed, what was kept)."""


@dataclass(frozen=True, slots=True)
class TaskRun:
    """What to write and where to run it."""

    #: absolute: a worker's working folder is not the driver's
    output: str
    folder: bool
    seed: int
    shard_size: int | None
    task_bytes: int
    resume: bool
    executor: ExecutorOptions


@dataclass(slots=True)
class _Files:
    """The run's files: their tasks, and the results of those done."""

    tasks: dict[str, list[Task]]
    results: dict[str, list[Result]] = field(default_factory=dict)

    def complete(self, file: str) -> bool:
        return len(self.results.get(file, ())) == len(self.tasks[file])

    def done(self) -> dict[str, list[Result]]:
        """Each complete file's results, in offset order, by file name."""
        return {
            os.path.basename(f): sorted(rs, key=lambda r: int(r["offset"]))
            for f, rs in self.results.items()
            if self.complete(f)
        }


def _by_file(tasks: Sequence[Task]) -> dict[str, list[Task]]:
    out: dict[str, list[Task]] = {}
    for t in tasks:
        out.setdefault(t["file"], []).append(t)
    return out


def _verify_tasks(files: _Files, run: TaskRun, module: types.ModuleType) -> list[tuple[Task, str]]:
    """For --resume: a "verify" task per recorded range of each file whose
    record (progress, else the manifest) matches its plan, with the sha256
    recorded."""
    progress = read_manifest(os.path.join(run.output, PROGRESS))
    manifest = read_manifest(os.path.join(run.output, MANIFEST))
    out: list[tuple[Task, str]] = []
    for file, tasks in files.tasks.items():
        name = os.path.basename(file)
        for record, path in ((progress, tasks[0]["path"]), (manifest, file)):
            ranges = manifest_ranges(record, module.SPEC_SHA256, run.seed, name)
            planned = [(int(t["offset"]), int(t["length"])) for t in tasks]
            if ranges is None or [(o, n) for o, n, _ in ranges] != planned:
                continue
            if not os.path.isfile(path) or os.path.getsize(path) != tasks[0]["size"]:
                continue
            for t, (_, _, sha) in zip(tasks, ranges, strict=True):
                out.append(({**t, "op": "verify", "path": path}, sha))
            break
    return out


def _resume(files: _Files, run: TaskRun, runner: Runner, module: types.ModuleType) -> None:
    """Record as done the files whose recorded ranges still hash the same."""
    checks = _verify_tasks(files, run, module)
    want = {t["id"]: sha for t, sha in checks}
    partial = {t["id"]: t["path"] for ts in files.tasks.values() for t in ts}
    good: dict[str, list[Result]] = {}
    bad: set[str] = set()

    def seen(task: Task, result: Result) -> None:
        if result["sha256"] == want[task["id"]]:
            # the result of the write task, whose temporary may be gone
            good.setdefault(task["file"], []).append({**result, "path": partial[task["id"]]})
        else:
            bad.add(task["file"])

    window = max(1, run.executor.workers)
    run_tasks(runner, [t for t, _ in checks], retries=0, window=window, on_result=seen)
    in_place = {t["file"] for t, _ in checks if t["path"] == t["file"]}
    for file, results in good.items():
        if file not in bad and len(results) == len(files.tasks[file]):
            files.results[file] = results
            if file in in_place:  # a stale temporary must not replace it
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(files.tasks[file][0]["path"])


def _record(files: _Files, run: TaskRun, module: types.ModuleType) -> None:
    """Write the progress record of the files complete so far."""
    if run.folder:
        text = manifest_text(module.SPEC_NAME, module.SPEC_SHA256, run.seed, files.done())
        write_manifest(os.path.join(run.output, PROGRESS), text)


def _finish(files: _Files, run: TaskRun, module: types.ModuleType) -> None:
    """Everything is written: rename into place, index, manifest, tidy."""
    tasks = [t for ts in files.tasks.values() for t in ts]
    results = [r for rs in files.results.values() for r in rs]
    if not run.folder:
        module.finish_init(run.output, tasks, results)
        return
    old = read_manifest(os.path.join(run.output, MANIFEST))
    module.finish_init(run.output, tasks, results)
    text = manifest_text(module.SPEC_NAME, module.SPEC_SHA256, run.seed, files.done())
    write_manifest(os.path.join(run.output, MANIFEST), text)
    new = {os.path.basename(f) for f in files.tasks}
    for name in (old or {}).get("files", {}):
        if name not in new and os.path.basename(name) == name:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(run.output, name))
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(run.output, PROGRESS))


def _clean(files: _Files, run: TaskRun, *, keep_complete: bool) -> int:
    """Remove the temporaries (all of them, or those of incomplete files);
    the number of complete files kept."""
    kept = 0
    for file, tasks in files.tasks.items():
        if keep_complete and files.complete(file):
            kept += 1
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tasks[0]["path"])
    if run.folder and not kept:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(run.output, PROGRESS))
    return kept


def write_with_tasks(
    run: TaskRun,
    module: types.ModuleType,
    source: str,
    module_path: str,
    progress: Callable[[int, int], None],
) -> str:
    """Write the output through tasks; a note on what was resumed ("" if
    nothing). `progress(bytes, total)` as bytes are written."""
    created = run.folder and not os.path.isdir(run.output)
    if created:
        os.makedirs(run.output)
    try:
        return _write(run, module, source, module_path, progress)
    except BaseException:
        if created:  # an empty folder this run made: gone with the rest
            with contextlib.suppress(OSError):
                os.rmdir(run.output)
        raise


def _write(
    run: TaskRun,
    module: types.ModuleType,
    source: str,
    module_path: str,
    progress: Callable[[int, int], None],
) -> str:
    tasks = module.init_tasks(
        run.output, run.seed, shard_size=run.shard_size, task_bytes=run.task_bytes
    )
    files = _Files(_by_file(tasks))
    total = sum(int(t["length"]) for t in tasks)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total)

    def finished(task: Task, result: Result) -> None:
        files.results.setdefault(task["file"], []).append(result)
        if run.executor.kind != "inline":
            advance(int(task["length"]))
        if files.complete(task["file"]):
            _record(files, run, module)

    note = ""
    try:
        with open_runner(run.executor, module, source, module_path, advance) as runner:
            if run.resume:
                _resume(files, run, runner, module)
                skipped = [f for f in files.tasks if files.complete(f)]
                done = sum(int(t["length"]) for f in skipped for t in files.tasks[f])
                note = f"resumed: {len(skipped)} of {len(files.tasks)} files complete and verified"
            todo = [t for f, ts in files.tasks.items() if not files.complete(f) for t in ts]
            window = max(1, run.executor.workers)
            run_tasks(runner, todo, retries=run.executor.retries, window=window, on_result=finished)
        # the workers are gone by here: nothing writes behind the clean-up
        _finish(files, run, module)
    except Exception as e:
        kept = _clean(files, run, keep_complete=run.folder)
        hint = f" ({kept} complete files kept: --resume writes the rest)" if kept else ""
        raise InitFailedError(f"{e}{hint}") from e
    except BaseException:  # a stop signal, Ctrl-C: leave nothing behind
        _clean(files, run, keep_complete=False)
        raise
    return note

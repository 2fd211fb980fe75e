"""Running `specc init`'s tasks on an executor: in this process, on the
standard library's process pool (`--workers N`), or on Dask
(`--executor dask`: a `LocalCluster` of N processes, or the cluster at
`--scheduler tcp://HOST:PORT`, which dask-jobqueue or the Dask Kubernetes
operator start).

Workers receive the generated module's source with each task and keep the
module they built from it (one per process), so they need specc's package
but nothing from the driver's disk; they write their byte range straight into
the output file and return its sha256. The driver never holds array data.

A task that fails is retried (`--retries`, default 2). A worker process that
dies breaks a process pool: the pool is restarted and the tasks that were
running are run again one at a time, so that a task that kills its worker is
found and charged alone; on Dask the scheduler itself moves the task of a
dead worker elsewhere (its `allowed-failures`) and reports `KilledWorker`
when it gives up. When a task's attempts are spent, the run fails naming it.

`SPECC_TEST_KILL_TASK=ID` (for tests): the worker running task ID exits
mid-task (after writing its first chunk), every time, or, with
`SPECC_TEST_KILL_ONCE=MARKER`, only while the file MARKER does not exist (the
attempt that creates it: the first).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import multiprocessing
import os
import signal
import types
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Final, Protocol

#: the environment variables of the tests' fault injection
FAULT_ENV: Final = "SPECC_TEST_KILL_TASK"
FAULT_ONCE_ENV: Final = "SPECC_TEST_KILL_ONCE"
#: the exit status of a worker killed by it
FAULT_EXIT: Final = 70

Task = Mapping[str, Any]
Result = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ExecutorOptions:
    """Where tasks run: `inline` (this process), `process` or `dask`."""

    kind: str
    #: worker processes (for a Dask scheduler: how many tasks to keep queued)
    workers: int
    #: a Dask scheduler's address, else None (a LocalCluster of `workers`)
    scheduler: str | None
    #: threads per task (None: the CPU count inline, 1 in a worker)
    threads: int | None
    #: attempts after the first, per task
    retries: int


class TaskFailedError(Exception):
    """A task whose attempts are spent: `str()` names it and the last error."""

    def __init__(self, task_id: str, attempts: int, reason: str) -> None:
        s = "" if attempts == 1 else "s"
        super().__init__(f"task {task_id} failed after {attempts} attempt{s}: {reason}")
        self.task_id = task_id


# ------------------------------------------------------------------ workers


@functools.lru_cache(maxsize=2)
def _module(source: str, module_path: str) -> types.ModuleType:
    """The generated module of `source`, built once per worker process."""
    module = types.ModuleType("specc_generated")
    module.__file__ = module_path
    exec(compile(source, module_path, "exec"), module.__dict__)
    return module


def _fault(task_id: str) -> Callable[[int], None] | None:
    """The progress hook that kills this worker, when the tests ask for it."""
    if os.environ.get(FAULT_ENV) != task_id:
        return None
    marker = os.environ.get(FAULT_ONCE_ENV)
    if marker:
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return None  # a later attempt: let it run

    def die(done: int) -> None:
        del done
        os._exit(FAULT_EXIT)

    return die


def worker_main(source: str, module_path: str, task: Task, threads: int | None) -> Result:
    """Run one task in a worker (a top-level function, so that it pickles)."""
    module = _module(source, module_path)
    result: Result = module.run_task(
        task, threads=threads if threads is not None else 1, progress=_fault(task["id"])
    )
    return result


def _ignore_stops() -> None:
    """In a process-pool worker: Ctrl-C and a closed terminal reach the whole
    process group, but only the driver acts on them (it ends the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


# ------------------------------------------------------------------ runners


class Runner(Protocol):
    """Submits tasks somewhere; restarts after a broken pool; closes."""

    def submit(self, task: Task) -> Future[Result]: ...

    def restart(self) -> None: ...

    def close(self, *, kill: bool) -> None: ...


class _Inline:
    """Tasks run in this process as they are submitted (with its threads, and
    progress reported per chunk)."""

    def __init__(
        self, module: types.ModuleType, threads: int | None, progress: Callable[[int], None]
    ) -> None:
        self._module = module
        self._threads = threads
        self._progress = progress

    def submit(self, task: Task) -> Future[Result]:
        future: Future[Result] = Future()
        try:
            future.set_result(
                self._module.run_task(task, threads=self._threads, progress=self._progress)
            )
        except Exception as e:  # reported through the future, as a pool would
            future.set_exception(e)
        return future

    def restart(self) -> None:
        pass

    def close(self, *, kill: bool) -> None:
        pass


class _Processes:
    """The standard library's process pool (spawned workers: they start from
    nothing, as remote ones would)."""

    def __init__(self, workers: int, source: str, module_path: str, threads: int | None) -> None:
        self._workers = workers
        self._call = functools.partial(worker_main, source, module_path)
        self._threads = threads
        self._pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_ignore_stops,
        )

    def submit(self, task: Task) -> Future[Result]:
        return self._pool.submit(self._call, task, self._threads)

    def restart(self) -> None:
        self.close(kill=True)
        self._pool = self._new()

    def close(self, *, kill: bool) -> None:
        if kill:
            # Python 3.14 has terminate_workers(); before it, the pool's own map
            processes = getattr(self._pool, "_processes", None) or {}
            for p in list(processes.values()):
                with contextlib.suppress(OSError, ValueError):
                    p.terminate()
        # the pool's manager sees the dead workers and ends: waiting for it
        # frees its queues (else the resource tracker warns of leaks)
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """Dask distributed, through its `concurrent.futures` executor."""

    def __init__(
        self,
        workers: int,
        scheduler: str | None,
        source: str,
        module_path: str,
        threads: int | None,
    ) -> None:
        # the optional extra specc[dask], untyped: imported by name
        distributed: Any = importlib.import_module("distributed")

        self._cluster: Any = None
        if scheduler is None:
            self._cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # logging.CRITICAL: failures are specc's to report, in one line
                silence_logs=50,
            )
            self._client = distributed.Client(self._cluster)
        else:
            self._client = distributed.Client(scheduler)
        self._executor: Executor = self._client.get_executor(pure=False)
        self._call = functools.partial(worker_main, source, module_path)
        self._threads = threads

    def submit(self, task: Task) -> Future[Result]:
        return self._executor.submit(self._call, task, self._threads)

    def restart(self) -> None:
        pass  # the scheduler replaces dead workers itself

    def close(self, *, kill: bool) -> None:
        with contextlib.suppress(Exception):
            self._executor.shutdown(wait=not kill)
        with contextlib.suppress(Exception):
            self._client.close()
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()


@contextlib.contextmanager
def open_runner(
    opts: ExecutorOptions,
    module: types.ModuleType,
    source: str,
    module_path: str,
    progress: Callable[[int], None],
) -> Iterator[Runner]:
    """A runner for `opts`; on the way out by an exception (a stop signal
    included) its workers are ended at once."""
    runner: Runner
    if opts.kind == "inline":
        runner = _Inline(module, opts.threads, progress)
    elif opts.kind == "process":
        runner = _Processes(opts.workers, source, module_path, opts.threads)
    else:
        runner = _Dask(opts.workers, opts.scheduler, source, module_path, opts.threads)
    try:
        yield runner
    except BaseException:
        runner.close(kill=True)
        raise
    runner.close(kill=False)


# ------------------------------------------------------------------ the loop


def _reason(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


@dataclass(slots=True)
class _State:
    """The loop's bookkeeping: what waits, what runs, what failed how often."""

    pending: deque[Task]
    suspects: deque[Task]
    running: dict[Future[Result], Task]
    attempts: dict[str, int]
    retries: int

    def charge(self, task: Task, reason: str) -> None:
        """One failed attempt of `task`: run it again, or give up."""
        n = self.attempts.get(task["id"], 0) + 1
        self.attempts[task["id"]] = n
        if n > self.retries:
            raise TaskFailedError(task["id"], n, reason)
        self.pending.appendleft(task)

    def fill(self, runner: Runner, window: int) -> None:
        """Submit what may run now: a suspect alone, else up to `window`."""
        if self.suspects:
            if not self.running:
                task = self.suspects.popleft()
                self.running[runner.submit(task)] = task
            return
        while self.pending and len(self.running) < window:
            task = self.pending.popleft()
            self.running[runner.submit(task)] = task


def run_tasks(
    runner: Runner,
    tasks: Sequence[Task],
    *,
    retries: int,
    window: int,
    on_result: Callable[[Task, Result], None],
) -> None:
    """Run every task (at most `window` at a time), retrying failures;
    `on_result(task, result)` as each succeeds. Raises TaskFailedError."""
    state = _State(deque(tasks), deque(), {}, {}, retries)
    while state.pending or state.suspects or state.running:
        state.fill(runner, window)
        done, _ = wait(list(state.running), return_when=FIRST_COMPLETED)
        broken: list[Task] = []
        for future in done:
            task = state.running.pop(future)
            error = future.exception()
            if error is None:
                on_result(task, future.result())
            elif isinstance(error, BrokenProcessPool):
                broken.append(task)
            else:
                state.charge(task, _reason(error))
        if broken:
            # every other running task fails with the pool: wait for them all
            for future in list(state.running):
                task = state.running.pop(future)
                error = future.exception()
                if error is None:
                    on_result(task, future.result())
                else:
                    broken.append(task)
            runner.restart()
            if len(broken) == 1:
                state.charge(broken[0], "its worker process died")
            else:
                state.suspects.extend(broken)  # find the culprit: one at a time

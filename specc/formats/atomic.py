"""Writing output files atomically: the old file stays whole until the new one is
complete, and nothing is left behind by a failure, a signal or a kill.

On Linux the data goes to an unnamed file (`O_TMPFILE`) in the target's folder,
which the kernel frees if the process dies, however it dies; only a complete
file is linked into place (under a temporary name, then renamed over the
target, since a link cannot replace a file). Where the filesystem refuses
`O_TMPFILE`, or elsewhere, the data goes to a named temporary,
`.NAME.specc-PID.tmp`; a later write into the same folder removes the ones
whose process is gone, as Git does with its stale lockfiles.

Every problem with the target (not a regular file, a missing folder, no
permission, a full disk) is an `OutputError` with a one-line message.

Standard library only: generated modules embed this file for their `save()`.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import IO

#: A named temporary of `_temporary_name`: `.NAME.specc-PID.tmp`.
_TEMPORARY = re.compile(r"\..*\.specc-(\d+)\.tmp")


class OutputError(OSError):
    """An output cannot be written; `str()` is one line naming the path."""

    def __str__(self) -> str:
        return str(self.strerror)


def _describe_kind(mode: int) -> str | None:
    """What a file is when it is not something specc will replace."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    return None


def check_target(path: str) -> None:
    """Refuse a target that is not a regular file or a new path, and a folder
    that does not exist; raises OutputError."""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise OutputError(errno.ENOENT, f"cannot write {path}: {folder} {what}")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as e:
        raise OutputError(e.errno, f"cannot write {path}: {e.strerror or e}") from None
    kind = _describe_kind(st.st_mode)
    if kind is not None:
        raise OutputError(errno.EINVAL, f"cannot write {path}: it is {kind}")


def _error(path: str, e: OSError) -> OutputError:
    return OutputError(e.errno, f"cannot write {path}: {e.strerror or e}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


def remove_stale_temporaries(folder: str) -> list[str]:
    """Remove the named temporaries in `folder` whose writing process is gone;
    returns their paths. Never raises."""
    removed: list[str] = []
    with suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            m = _TEMPORARY.fullmatch(entry.name)
            pid = int(m.group(1)) if m is not None else os.getpid()
            if pid == os.getpid() or _pid_alive(pid):
                continue
            with suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.path)
    return removed


def _temporary_name(path: str) -> str:
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.specc-{os.getpid()}.tmp")


def _file_mode() -> int:
    """The mode `open()` would give a new file: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _open_unnamed(folder: str) -> int | None:
    """An unnamed file in `folder` (Linux `O_TMPFILE`), or None where refused."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(folder, flag | os.O_WRONLY, 0o666)
    except OSError as e:
        if e.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
            return None  # the filesystem (or kernel) has no unnamed files
        raise


def _link_into_place(fd: int, path: str) -> None:
    """Give the unnamed file `fd` the name `path`, replacing what is there."""
    temporary = _temporary_name(path)
    with suppress(FileNotFoundError):
        os.unlink(temporary)
    # linkat(2) with AT_SYMLINK_FOLLOW on the /proc link, as open(2) documents
    # for O_TMPFILE; os.link uses linkat only when given a directory fd
    folder = os.open(os.path.dirname(temporary) or ".", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.link(
            f"/proc/self/fd/{fd}",
            os.path.basename(temporary),
            dst_dir_fd=folder,
            follow_symlinks=True,
        )
    finally:
        os.close(folder)
    try:
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


@contextmanager
def atomic_output(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file to write `path` through: the file appears under its name,
    complete, only when the block ends without an exception; before that the
    old file (if any) is untouched. Raises OutputError for a target it will
    not or cannot write."""
    target = os.fspath(path)
    check_target(target)
    folder = os.path.dirname(target) or "."
    remove_stale_temporaries(folder)
    try:
        fd = _open_unnamed(folder)
        temporary = None
        if fd is None:
            temporary = _temporary_name(target)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _file_mode())
    except OSError as e:
        raise _error(target, e) from None
    try:
        with os.fdopen(fd, "wb", closefd=False) as f:
            yield f
            f.flush()
        if temporary is None:
            _link_into_place(fd, target)
        else:
            os.replace(temporary, target)
    except OutputError:
        if temporary is not None:
            with suppress(OSError):
                os.unlink(temporary)
        raise
    except OSError as e:
        if temporary is not None:
            with suppress(OSError):
                os.unlink(temporary)
        raise _error(target, e) from None
    except BaseException:
        if temporary is not None:
            with suppress(OSError):
                os.unlink(temporary)
        raise
    finally:
        os.close(fd)


def write_atomic(path: str | os.PathLike[str], data: str | bytes) -> None:
    """Replace `path` with `data` (text is written as UTF-8), atomically."""
    with atomic_output(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)

"""Output folders written whole or not at all, and output errors in one line.

``survey run`` writes ``<out>/<wave>/`` and ``survey plan``
``<out>/<wave>-plan/`` through an :class:`OutputFolder`:

1. the folder's parent is created; a file where a folder belongs, a folder
   that no survey command wrote (no signature file such as
   ``provenance.json``), or a lock held by another run stops the command
   before anything is written (:class:`~survey.errors.OutputError`);
2. a lock (``<out>/.<name>.lock``, an OS file lock released by the
   operating system even when the process is killed) keeps a second run
   away from the same folder while the first writes (on a file system
   without locks, such as some network shares, the folder is written
   unlocked: still whole or not at all);
3. everything is written into a hidden temporary folder next to the target
   (``<out>/.<name>.partial-<pid>``);
4. :meth:`OutputFolder.commit` renames it into place: a previous folder is
   replaced **whole** (renamed aside, then deleted), so no file of an
   earlier run is left mixed in with this run's files.

A run that fails, or is stopped, leaves the previous folder as it was; its
temporary folder is removed when the run's :class:`OutputFolder` is dropped
(or, after a kill, by the next run on the same folder, which also removes an
earlier folder left renamed aside).  A killed run therefore never leaves a
folder that looks complete under the target's name.

:func:`output_error` turns an ``OSError`` met while writing into a one-line
:class:`~survey.errors.OutputError` naming the path (as the user gave it,
not the temporary folder) and the fix.
"""
from __future__ import annotations

import errno
import functools
import os
import re
import shutil
import threading
import weakref
from pathlib import Path

from survey.errors import OutputError

__all__ = ["OutputFolder", "check_output_parent", "output_error", "public_path", "writes_output"]

_PARTIAL = ".partial-"
_ASIDE = ".old-"
_STAGED = re.compile(r"(^|[\\/])\.(?P<name>[^\\/]+?)\.(?:partial|old)-\d+(?=[\\/]|$)")

_FIXES = {
    errno.ENOSPC: "the disk is full; free some space or give another --out",
    errno.EDQUOT: "the disk quota is used up; free some space or give another --out",
    errno.EACCES: "permission denied; give a folder you may write to as --out, or change its permissions",
    errno.EPERM: "permission denied; give a folder you may write to as --out, or change its permissions",
    errno.EROFS: "the file system is read-only; give another --out",
    errno.ENAMETOOLONG: "the name is too long for the file system; give a shorter --out (or --wave)",
    errno.ENOTDIR: "a file is in the way where a folder is needed; give a folder as --out or move the file away",
    errno.EEXIST: "a file is in the way where a folder is needed; give a folder as --out or move the file away",
    errno.EISDIR: "the output path is a folder; give a file name",
    errno.EPIPE: "the output was closed before everything was written (e.g. a pipe into head); "
                 "write to a file with --out",
}


def public_path(path) -> str:
    """``path`` as the user knows it: a hidden temporary folder of an
    :class:`OutputFolder` (``.FY2025.partial-123``) is shown as its target."""
    return _STAGED.sub(lambda m: m.group(1) + m.group("name"), str(path))


def output_error(exc: OSError, path=None) -> OutputError:
    """A one-line :class:`OutputError` for an ``OSError`` met writing ``path``.

    The path named is the one in the error (``exc.filename``) when there is
    one, else ``path``; the fix depends on the cause (disk full, permission,
    read-only file system, name too long, a file in the way ...).

    >>> str(output_error(OSError(errno.ENOSPC, "No space left on device", "reports/.FY2025.partial-7/a.csv")))
    '[output reports/FY2025/a.csv] cannot write: the disk is full; free some space or give another --out'
    """
    where = exc.filename if getattr(exc, "filename", None) else path
    fix = _FIXES.get(exc.errno)
    if fix is None:
        reason = exc.strerror or type(exc).__name__
        fix = f"{reason}; check the path, the free space and the permissions"
    return OutputError(f"cannot write: {fix}", path=None if where is None else public_path(where))


def check_output_parent(out) -> None:
    """Refuse at once an ``--out`` that is a file (before any work is done)."""
    out = Path(out)
    for folder in (out, *out.parents):
        if folder.exists() or folder.is_symlink():
            if not folder.is_dir():
                raise OutputError("is a file, not a folder; give a folder as --out or move the file away",
                                  path=folder)
            return


def _make_dirs(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)


_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL}


def _lock(fd: int) -> bool:
    """Take an exclusive lock on ``fd`` without waiting; False if another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError as exc:   # a file system without locks (some network shares): write unlocked
        if exc.errno in _NO_LOCKS:
            return True
        raise
    return True


def _acquire(lock_path: Path, target: Path, command: str) -> int:
    """Open and lock ``lock_path``; the same file must still be there once locked
    (a run that finishes unlinks its lock file while holding it)."""
    for _attempt in range(20):
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _lock(fd):
            holder = _holder(fd)
            os.close(fd)
            raise OutputError(f"another {command} is writing this folder{holder}; wait for it to finish "
                              f"or give another --out (lock {lock_path.name})", path=target)
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(lock_path))
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode("ascii"))
            return fd
        os.close(fd)
    raise OutputError(f"cannot lock the folder (lock {lock_path.name} keeps changing); try again", path=target)


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except (OSError, AttributeError):
        return ""
    return f" (process {text})" if text.isdigit() else ""


def _release(fd: int | None, lock_path: Path) -> None:
    if fd is None:
        return
    if os.name != "nt":
        try:
            os.unlink(lock_path)        # while still holding the lock: see _acquire
        except OSError:
            pass
    os.close(fd)


def _abort(staging: Path, fd_box: list, lock_path: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)
    _release(fd_box.pop() if fd_box else None, lock_path)


_OPEN: "weakref.WeakSet[OutputFolder]" = weakref.WeakSet()   # neither committed nor aborted


def writes_output(fn):
    """Decorate a function that opens an :class:`OutputFolder` and commits it
    at its end: if the function fails, the folders it opened (in this thread)
    are aborted at once, whoever keeps the exception."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        before = set(_OPEN)
        try:
            return fn(*args, **kwargs)
        except BaseException:
            me = threading.get_ident()
            for folder in [f for f in list(_OPEN) if f not in before and f._thread == me]:
                folder.abort()
            raise
    return wrapper


class OutputFolder:
    """A folder written whole: a temporary folder now, ``target`` on :meth:`commit`.

    Parameters
    ----------
    target : path
        The folder to write (``<out>/<wave>``).
    signature : str
        A file every folder of this command holds (``provenance.json`` for
        ``survey run``).  An existing non-empty ``target`` without it was not
        written by the command and is never replaced.
    command : str
        Named in messages (``"survey run"``).

    Attributes
    ----------
    path : Path
        The temporary folder to write into.
    target : Path

    Use as a context manager (commit on success, abort on an exception), or
    call :meth:`commit` yourself in a function decorated with
    :func:`writes_output` (which aborts on an exception); a folder dropped
    without a commit is aborted too (its temporary folder removed, the lock
    released), as :class:`tempfile.TemporaryDirectory` cleans up.
    """

    def __init__(self, target, *, signature: str, command: str = "survey run"):
        self.target = Path(target)
        self.command = command
        parent = self.target.parent
        check_output_parent(parent)
        try:
            _make_dirs(parent)
        except OSError as exc:
            raise output_error(exc, parent) from None
        self._lock_path = parent / f".{self.target.name}.lock"
        try:
            fd = _acquire(self._lock_path, self.target, command)
        except OSError as exc:
            raise output_error(exc, self.target) from None
        try:
            self._check_target(signature)
        except BaseException:
            _release(fd, self._lock_path)
            raise
        self._fd = [fd]
        self._thread = threading.get_ident()
        self.path = parent / f".{self.target.name}{_PARTIAL}{os.getpid()}"
        self._finalizer = weakref.finalize(self, _abort, self.path, self._fd, self._lock_path)
        _OPEN.add(self)
        left = re.compile(rf"\.{re.escape(self.target.name)}\.(?:partial|old)-\d+")
        try:
            for stale in parent.iterdir():
                if left.fullmatch(stale.name) and stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale)          # left by a killed run (we hold the lock)
            _make_dirs(self.path)
        except OSError as exc:
            self.abort()
            raise output_error(exc, self.target) from None

    def _check_target(self, signature: str) -> None:
        target, command = self.target, self.command
        if target.is_symlink() or (target.exists() and not target.is_dir()):
            raise OutputError("a file has the output folder's name; move it away or give another --out", path=target)
        try:
            foreign = target.is_dir() and any(target.iterdir()) and not (target / signature).exists()
        except OSError as exc:
            raise output_error(exc, target) from None
        if foreign:
            raise OutputError(f"the folder exists and was not written by {command} (no {signature}); it would be "
                              "replaced whole, so move it away or give another --out", path=target)

    def commit(self) -> Path:
        """Rename the temporary folder into place (replacing a previous one whole); return the target."""
        if not self._finalizer.alive:
            raise OutputError("this output folder was already committed or aborted", path=self.target)
        aside = self.target.parent / f".{self.target.name}{_ASIDE}{os.getpid()}"
        try:
            if self.target.exists():
                os.rename(self.target, aside)
                try:
                    os.rename(self.path, self.target)
                except OSError:
                    os.rename(aside, self.target)     # put the previous folder back
                    raise
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.rename(self.path, self.target)
        except OSError as exc:
            self.abort()
            raise output_error(exc, self.target) from None
        self._finalizer.detach()
        _OPEN.discard(self)
        _release(self._fd.pop(), self._lock_path)
        return self.target

    def abort(self) -> None:
        """Remove the temporary folder and release the lock; the target stays as it was."""
        _OPEN.discard(self)
        self._finalizer()

    def __enter__(self) -> "OutputFolder":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

"""Writing where a user points without destroying what is there, and cleaning up after kills.

``open_output`` decides by what a path names:

- nothing, or a regular file: a new file is written beside it and renamed over it, so readers
  see the old file or the whole new one. A symbolic link is followed and the file it names is
  replaced; the link stays a link.
- a character device or a FIFO: written through, as a shell's ``>`` would.
- one of this process's own descriptors (``/dev/stdout``, or ``/dev/fd/63`` from a process
  substitution ``>(cmd)``): that descriptor is written to.
- a directory, a block device or a socket: refused.

Staging files and folders are named ``.NAME.XXXXXXXX.tmp`` beside their target and hold an
advisory lock (``flock``) for as long as their writer lives. The kernel drops the lock when the
writer dies, however it dies, so the next writer of the same target removes what a killed run
left, and never what a live one is writing.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from tagger.errors import OutputError

STAGING_SUFFIX = ".tmp"
SET_ASIDE_SUFFIX = ".previous"  # a folder moved out of the way while its replacement moves in
# A file name has at most 255 bytes and staging adds 14 around the target's: keep 100 of them.
_NAME_KEPT = 100
_RANDOM = re.compile(r"[a-z0-9_]{8}")  # the random part of tempfile's names
_OWN_DESCRIPTOR = re.compile(r"/proc/(\d+)(?:/task/\d+)?/fd/(\d+)")
_MAX_LINKS = 40  # as Linux's limit on symbolic links followed in one lookup
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})


def describe_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, for messages: "a named pipe (FIFO)"."""
    kinds = (
        (stat.S_ISREG, "a regular file"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def shown_path(name: str) -> str:
    """``name`` as text that can be printed or saved as UTF-8.

    Python carries a file name that is not valid UTF-8 with its odd bytes as lone surrogates;
    they are shown here as ``\\xNN`` escapes of the bytes.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


def staging_prefix(target: Path) -> str:
    # Cut in bytes, not characters: a Chinese character is three bytes of a name.
    return "." + os.fsdecode(os.fsencode(target.name)[:_NAME_KEPT]) + "."


def own_descriptor(path: str) -> int | None:
    """The descriptor of this process that ``path`` names (``/dev/stdout``, ``/dev/fd/63``).

    Such paths are links into ``/proc/self/fd``. The file behind one must not be replaced (a
    shell opened it for us, maybe to append), and a pipe behind one cannot be reopened on every
    system, so the descriptor itself is written to.
    """
    current = os.path.abspath(path)
    for _ in range(_MAX_LINKS):
        folder, base = os.path.split(current)
        match = _OWN_DESCRIPTOR.fullmatch(os.path.join(os.path.realpath(folder), base))
        if match is not None:
            return int(match.group(2)) if int(match.group(1)) == os.getpid() else None
        if not os.path.islink(current):
            return None
        current = os.path.join(folder, os.readlink(current))
    return None


@contextlib.contextmanager
def open_output(path: str | os.PathLike[str], *, replace: bool = True) -> Iterator[TextIO]:
    """Open ``path`` for writing UTF-8 text without destroying what it names (see above).

    With ``replace=False`` an existing regular file is never replaced, even one that appears
    while the output is being written: ``OutputError`` is raised instead.
    """
    name = os.fspath(path)
    descriptor = own_descriptor(name)
    if descriptor is not None:
        try:
            duplicate = os.dup(descriptor)
        except OSError as exc:
            raise OutputError(
                f"{shown_path(name)}: names descriptor {descriptor}, which is not open "
                f"({exc.strerror}); expected an open descriptor or a file path"
            ) from None
        with (
            _reporting(name, "part of it may have been written"),
            open(duplicate, "w", encoding="utf-8", newline="") as handle,
        ):
            yield handle
        return
    try:
        found: os.stat_result | None = os.stat(name)
    except FileNotFoundError:
        found = None
    except OSError as exc:
        raise OutputError(
            f"{shown_path(name)}: cannot write there ({exc.strerror}); expected a file path. "
            "Choose another name or place"
        ) from None
    if found is None or stat.S_ISREG(found.st_mode):
        with _replaced(name, Path(os.path.realpath(name)), found, replace) as handle:
            yield handle
    elif stat.S_ISCHR(found.st_mode) or stat.S_ISFIFO(found.st_mode):
        with (
            _reporting(name, "part of it may have been written"),
            open(name, "w", encoding="utf-8", newline="") as handle,
        ):
            yield handle
    else:
        raise OutputError(
            f"{shown_path(name)}: is {describe_kind(found.st_mode)}; expected a file to write "
            "(or a character device or pipe to write through). Name a file instead"
        )


@contextlib.contextmanager
def _reporting(name: str, aftermath: str) -> Iterator[None]:
    """Turn a failed write (a full disk, a lost device) into an ``OutputError`` naming ``name``."""
    try:
        yield
    except BrokenPipeError:
        raise  # the reader went away: the caller decides (the command line stops quietly)
    except OSError as exc:
        if exc.filename is not None:
            raise  # an error about another file, met while producing the output
        raise OutputError(
            f"{shown_path(name)}: writing failed ({exc.strerror or exc}); {aftermath}. "
            "Free some space or write elsewhere, and run again"
        ) from None


@contextlib.contextmanager
def _replaced(
    name: str, target: Path, found: os.stat_result | None, replace: bool
) -> Iterator[TextIO]:
    shown = shown_path(name)  # as the user named it; ``target`` is where a link leads
    if found is not None and not replace:
        raise OutputError(f"{shown}: exists; refusing to replace it. Choose a new name")
    if not target.parent.is_dir():
        raise OutputError(
            f"{shown}: the folder {shown_path(str(target.parent))} does not exist; expected an "
            "existing folder. Create it first, or write elsewhere"
        )
    clean_stale(target)
    try:
        descriptor, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=staging_prefix(target), suffix=STAGING_SUFFIX
        )
    except OSError as exc:
        raise OutputError(
            f"{shown}: cannot create a file in {shown_path(str(target.parent))} "
            f"({exc.strerror}); check that the folder is writable, or write elsewhere"
        ) from None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # live until this process ends: see clean_stale
        # mkstemp makes the file private; the output keeps the mode of the file it replaces.
        os.fchmod(descriptor, stat.S_IMODE(found.st_mode) if found is not None else 0o644)
        with (
            _reporting(name, "the previous file, if any, is unchanged"),
            open(descriptor, "w", encoding="utf-8", newline="") as handle,
        ):
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
            _publish(temporary, target, replace, shown)  # locked still: never seen as stale
    except BaseException:
        with contextlib.suppress(FileNotFoundError):  # published, or cleaned already
            os.unlink(temporary)
        raise


def _publish(temporary: str, target: Path, replace: bool, shown: str) -> None:
    try:
        if replace:
            os.replace(temporary, target)
            return
        try:
            os.link(temporary, target)  # unlike a rename, fails if the name was taken meanwhile
        except FileExistsError:
            raise OutputError(f"{shown}: appeared while being written; left as it is") from None
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            if os.path.lexists(target):  # a filesystem without hard links: check, then rename
                raise OutputError(f"{shown}: appeared while being written; left as it is") from None
            os.replace(temporary, target)
            return
        os.unlink(temporary)
    except OSError as exc:
        raise OutputError(
            f"{shown}: cannot put the new file in place ({exc.strerror}); nothing was replaced"
        ) from None


def clean_stale(target: Path) -> None:
    """Remove what killed writers of ``target`` left beside it.

    Staging files and folders are deleted. A folder set aside by ``replace_directory`` is put
    back when its replacement never arrived (the writer died between the two renames), and
    deleted otherwise. Anything still locked belongs to a live writer and is left alone.
    """
    prefix = staging_prefix(target)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return  # an unreadable folder cannot be written either: creating the output says so
    for name in names:
        rest = name[len(prefix) :] if name.startswith(prefix) else ""
        for suffix in (STAGING_SUFFIX, SET_ASIDE_SUFFIX):
            if rest.endswith(suffix) and _RANDOM.fullmatch(rest[: -len(suffix)]):
                _clean(target.parent / name, target, set_aside=suffix == SET_ASIDE_SUFFIX)


def _clean(path: Path, target: Path, *, set_aside: bool) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return  # gone meanwhile, or a symbolic link, which tagger never makes
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # its writer is still running
        if set_aside and not os.path.lexists(target):
            os.rename(path, target)
        elif stat.S_ISDIR(os.fstat(descriptor).st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    except PermissionError:
        return  # another user's leftovers in a shared folder (a sticky /tmp): theirs to remove
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def staging_directory(target: Path) -> Iterator[Path]:
    """A new, locked folder beside ``target``, to fill and then swap in with
    ``replace_directory``. It is removed if the block fails; if the process is killed, the next
    writer of ``target`` removes it."""
    clean_stale(target)
    staging = Path(
        tempfile.mkdtemp(prefix=staging_prefix(target), suffix=STAGING_SUFFIX, dir=target.parent)
    )
    descriptor = os.open(staging, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        os.close(descriptor)


def replace_directory(staging: Path, target: Path) -> None:
    """Swap ``staging`` in for ``target``. The window without a ``target`` is two renames long;
    a writer killed inside it has the old folder put back by the next ``clean_stale``."""
    if not os.path.lexists(target):
        staging.rename(target)
        return
    aside = staging.with_name(staging.name[: -len(STAGING_SUFFIX)] + SET_ASIDE_SUFFIX)
    descriptor = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # the lock moves with the folder to its new name
        target.rename(aside)
        try:
            staging.rename(target)
        except BaseException:
            aside.rename(target)
            raise
        shutil.rmtree(aside)
    finally:
        os.close(descriptor)

"""Every file the library writes or reads back, written atomically and read with a size cap.

``write_file`` is the one writer behind ``save()``, the CLI's history.json and
model.json, and the drawings and plots the CLI writes.  It writes a temporary
file next to the real target and renames it over the target, so a crash or a
Ctrl-C at any moment leaves either the old file or the new one, never a
truncated mix.  Like ``open(path, "w")`` it writes through a symbolic link (the
link stays, its target is replaced), refuses what is not a regular file (a
FIFO, a device, a directory) and refuses a file the caller may not write (a
0444 file, unless the caller is root, as with ``open``).

``read_file`` reads a regular file of at most ``limit`` bytes; it never opens a
FIFO or a device (which could block or never end).

>>> import os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
>>> write_file(path, "first\\n"); write_file(path, "second\\n")
>>> read_file(path, limit=100).decode()
'second\\n'
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from typing import Union

__all__ = ["write_file", "read_file", "user_path", "PathLike"]

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
_CHUNK = 1 << 16  # bytes per write call


def user_path(path: PathLike, who: str) -> str:
    """``path`` as a str (a bytes path is decoded as the OS does); TypeError naming ``who`` otherwise.

    >>> user_path(b"model.json", "save")
    'model.json'
    """
    try:
        p = os.fspath(path)
    except TypeError:
        raise TypeError(f"{who}: expected a path (str, bytes or os.PathLike), got {type(path).__name__}") from None
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    if not p:
        raise ValueError(f"{who}: the path is empty")
    if "\0" in p:
        raise ValueError(f"{who}: the path {p!r} contains a NUL character")
    return p


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def write_file(path: PathLike, data: str | bytes, *, who: str = "write") -> None:
    """Replace the file at ``path`` with ``data`` (str is written as UTF-8), atomically.

    Errors are OSError subclasses (PermissionError, IsADirectoryError, ...)
    whose message and ``filename`` name ``path`` as the caller gave it, never
    the temporary file.

    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); os.mkfifo(os.path.join(d, "fifo"))
    >>> write_file(os.path.join(d, "fifo"), "x", who="save")
    Traceback (most recent call last):
    OSError: [Errno 22] save: ... is a FIFO (named pipe), not a regular file; refusing to replace it: ...
    """
    path = user_path(path, who)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    real = os.path.realpath(path)  # through symbolic links, to the file open() would write
    try:
        st = os.stat(real)
    except (FileNotFoundError, NotADirectoryError):
        st = None  # a new file; a missing folder is reported below, when the temporary file cannot be made
    except OSError as e:  # a loop of links, ...
        raise OSError(e.errno, f"{who}: cannot write {path}: {e.strerror}", path) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, f"{who}: {path} is a directory; give a file name", path)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, f"{who}: {path} is {_kind(st.st_mode)}, not a regular file; "
                          f"refusing to replace it", path)
        if not os.access(real, os.W_OK):
            raise PermissionError(errno.EACCES, f"{who}: {path} is read-only for you; refusing to replace it "
                                  f"(change its permissions, or write elsewhere)", path)
    directory = os.path.dirname(real)
    # The temporary file must be in the target's directory: a rename is atomic only within one file system.
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(real) + ".", suffix=".tmp")
    except OSError as e:
        raise type(e)(e.errno, f"{who}: cannot write {path}: {_folder_problem(directory, e)}", path) from None
    try:
        try:
            with os.fdopen(fd, "wb") as f:
                for i in range(0, len(payload), _CHUNK):
                    f.write(payload[i:i + _CHUNK])
                f.flush()
                os.fsync(f.fileno())  # the bytes are on disk before the name points at them
            if st is not None:
                os.chmod(tmp, st.st_mode & 0o7777)  # the replaced file's permissions...
                if os.geteuid() == 0 and (st.st_uid, st.st_gid) != (0, 0):
                    os.chown(tmp, st.st_uid, st.st_gid)  # ...and, as root, its owner
            else:
                os.chmod(tmp, _new_file_mode())  # mkstemp makes it private (0600)
            os.replace(tmp, real)
        except OSError as e:
            raise type(e)(e.errno, f"{who}: cannot write {path}: {e.strerror}", path) from None
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    # The rename is durable once the directory is on disk too; best effort (not every OS allows it).
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _folder_problem(directory: str, error: OSError) -> str:
    if isinstance(error, FileNotFoundError) and not os.path.isdir(directory):
        return f"the folder {directory} does not exist"
    if isinstance(error, NotADirectoryError):
        if os.path.exists(directory):
            return f"{directory} is a file, not a folder"
        return f"the folder {directory} cannot exist: part of its path is a file, not a folder"
    return f"cannot create a file in the folder {directory} ({error.strerror})"


def _new_file_mode() -> int:
    """What open() gives a new file: 0666 minus the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def read_file(path: PathLike, *, limit: int | None, who: str = "read") -> bytes:
    """The bytes of the regular file at ``path``; ValueError if it is larger than ``limit`` bytes.

    A FIFO, a device or a directory is refused before it is opened (reading
    one could block, or never end).  A missing file raises FileNotFoundError.
    """
    path = user_path(path, who)
    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"{who}: {path} is a directory, not a file", path)
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{who}: {path} is {_kind(st.st_mode)}, not a regular file")
    if limit is not None and st.st_size > limit:
        raise ValueError(f"{who}: {path} is {st.st_size:,} bytes, more than the limit of {limit:,}")
    with open(path, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):  # replaced since the check
            raise ValueError(f"{who}: {path} is not a regular file")
        data = f.read() if limit is None else f.read(limit + 1)  # it may have grown since stat
    if limit is not None and len(data) > limit:
        raise ValueError(f"{who}: {path} is more than the limit of {limit:,} bytes")
    return data

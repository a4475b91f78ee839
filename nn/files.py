"""The files nn reads and writes (model files, CSVs): bounded reads, and saves that lose nothing.

A save goes to a temporary file beside the target and is renamed over it only when it is
complete, so an interrupted save leaves the previous file intact. That is done only where a
rename is what ``open(path, "w")`` would amount to: over a regular file, or a new path. A
device or a pipe (``os.devnull``, a FIFO) is written through as ``open`` would write it; it is
never replaced by a regular file. A read takes at most a set number of bytes, so an endless
source (a zero device, a pipe that never ends) is refused instead of filling the memory.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat

__all__ = ["save_target", "check_writable", "write_atomically", "read_bounded",
           "MAX_MODEL_BYTES", "MAX_CSV_BYTES"]

MAX_MODEL_BYTES = 64 * 2**20  # a million parameters take about 50 MB of JSON
MAX_CSV_BYTES = 64 * 2**20  # far more rows than a scalar engine trains on in a day


def save_target(path: str, where: str) -> str:
    """The file a save to ``path`` writes (a symlink's target), or an OSError saying why it
    cannot be written there, each message starting with ``where``.

    (``Module.save`` checks this; so does ``chainrule train --save`` before it trains.)

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> save_target(os.path.join(folder, "m.json"), "save") == os.path.join(
    ...     os.path.realpath(folder), "m.json")
    True
    >>> save_target(os.path.join(folder, "nowhere", "m.json"), "--save m.json")
    Traceback (most recent call last):
    ...
    FileNotFoundError: --save m.json: no such folder '...nowhere'
    """
    target = os.path.realpath(path)  # a symlink is written through, as open() does; it stays
    if os.path.islink(target):
        raise OSError(errno.ELOOP, f"{where}: the symbolic link loops")
    if os.path.isdir(target):
        example = os.path.join(path, "model.json")
        raise IsADirectoryError(f"{where}: is a folder; give a file name such as {example}")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        shown = folder if os.path.islink(path) else (os.path.dirname(path) or ".")
        if os.path.exists(folder):
            raise NotADirectoryError(f"{where}: {shown!r} is not a folder")
        raise FileNotFoundError(f"{where}: no such folder {shown!r}")
    return target


def check_writable(folder: str, where: str) -> None:
    """An OSError starting with ``where`` unless a file can be created in ``folder``.

    It creates and removes an empty hidden file: the one test that sees permissions, read-only
    mounts and access lists alike (``os.access`` says yes to root even on a read-only mount).

    >>> import tempfile
    >>> check_writable(tempfile.mkdtemp(), "--out results")  # quiet when it can
    """
    fd, probe = _create_temporary(folder, "chainrule-write-test", where)
    os.close(fd)
    os.unlink(probe)


def write_atomically(path: str, text: str, where: str) -> None:
    """Write ``text`` to ``path`` as ``open(path, "w")`` would, but all at once or not at all.

    Over a regular file or at a new path, the text goes to a temporary file in the target's
    folder, is flushed to disk, and is then renamed over the target (atomic on POSIX and
    Windows), so a reader never sees half a file. Anything else that is there (a device such
    as ``os.devnull``, a FIFO) is opened and written, as ``open`` does: a rename would replace
    it with a regular file.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> write_atomically(path, "hello\\n", "save")
    >>> open(path).read()
    'hello\\n'
    >>> write_atomically(os.devnull, "gone\\n", "save")  # written through: still the device
    """
    target = save_target(path, where)
    folder = os.path.dirname(target)
    try:  # a replaced file keeps its permissions; a new one gets open()'s (0o666 - umask)
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        with open(target, "w", encoding="utf-8") as f:  # a device or a pipe: never replace it
            f.write(text)
        return
    fd, tmp = _create_temporary(folder, os.path.basename(target), where)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            if st is not None:
                os.chmod(tmp, stat.S_IMODE(st.st_mode))
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _create_temporary(folder: str, name: str, where: str) -> tuple[int, str]:
    """A new hidden file beside the target, opened for writing: ``(fd, path)``. An error names
    ``where`` and the folder, not the temporary file (a name the user never gave).

    Unlike ``tempfile.mkstemp`` (always 0o600) it asks for 0o666 as ``open()`` does, so the
    operating system applies the umask (and any default ACL) exactly as for a plain open.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:  # another writer picked the same name: draw again
            continue
        except OSError as exc:  # PermissionError, a read-only file system, ...
            reason = exc.strerror or type(exc).__name__
            raise type(exc)(exc.errno, f"{where}: cannot write in {folder!r} ({reason})") from None
    raise FileExistsError(errno.EEXIST, f"{where}: no free temporary name in {folder!r}")


def read_bounded(path: str | os.PathLike[str], limit: int, where: str) -> bytes:
    """The bytes of the file at ``path``: at most ``limit`` of them, else a ValueError.

    A device (a zero or random device, a terminal) is refused: it is not a file of data. A
    pipe is read, up to the limit. A missing file or a folder raise the system's error.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> _ = open(path, "w").write("1,2\\n")
    >>> read_bounded(path, 100, "--data data.csv")
    b'1,2\\n'
    >>> read_bounded(path, 3, "--data data.csv")
    Traceback (most recent call last):
    ...
    ValueError: --data data.csv: the file is larger than 3 bytes, more than chainrule reads
    """
    with open(path, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            raise ValueError(f"{where}: is a device, not a file")
        data = f.read(limit + 1)
    if len(data) > limit:
        size = f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit} bytes"
        raise ValueError(f"{where}: the file is larger than {size}, more than chainrule reads")
    return data

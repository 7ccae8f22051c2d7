"""Safe file output: atomic writes of final files, and one gate run per output folder.

``atomic_write_text`` writes a temporary file in the target's folder, fsyncs it and renames it
over the target, so a reader (or a full disk, or a kill) never sees a half-written verdict.json:
either the old file or the whole new one is there.

``OutputLock`` holds ``<out>/.gatekit.lock`` (``fcntl.flock``) for the whole run, so two gates
cannot interleave rows in the same ``results.jsonl``. The file records the holder's pid, host and
start time; the kernel drops the lock when its process dies, so a lock left by a killed run is
simply taken over.

``read_input_bytes`` / ``read_input_text`` / ``open_input_text`` read a file a user names (dataset, YAML,
verdict.json, traces): only a regular file, and (whole reads) at most a bound, so a FIFO, ``/dev/zero`` or a
runaway file is refused at once with ``InputFileError`` instead of hanging or filling the memory.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import stat
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TextIO, cast

from gatekit.errors import ConfigError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".gatekit.lock"
MAX_QUEUED = 1024 * 1024  # bytes of log lines kept while the disk is full (later lines are lost, counted)
# whole-file reads of what a person writes: a policy is a few KiB, and PyYAML (pure Python) parses a hostile flow list
# slowly (a 1 MiB flow list of numbers: 10 s; 4 MiB: 100 s), so more than 1 MiB is refused unread
MAX_YAML_BYTES = 1 << 20
# whole-file reads of what gatekit writes (verdict.json, results.jsonl)
MAX_JSON_FILE_BYTES = 256 << 20
# a golden dataset is read, parsed and held whole in memory
MAX_DATASET_BYTES = 1 << 30


class InputFileError(OSError):
    """A path that is no regular file, or too large to read whole; ``str()`` and ``strerror`` are the reason."""

    def __init__(self, reason: str, code: int = errno.EINVAL) -> None:
        super().__init__(code, reason)

    def __str__(self) -> str:
        return str(self.strerror)


def missing_file_hint(path: str | os.PathLike[str], *, folders: bool = False) -> str:
    """What to try when ``path`` does not exist: ``"; did you mean ..."``, else ``""``.

    Covers a Windows-style path (backslashes, a drive letter), a near-miss file name in the same folder and the usual
    .yaml/.yml or .jsonl/.json swap. ``folders``: a folder's name is a near miss too (a path that may be either).
    """
    import difflib
    import itertools

    text = os.fspath(path)
    if "\\" in text:
        forward = text.replace("\\", "/")
        if len(forward) > 1 and forward[1] == ":":  # C:\Users\... : a Windows drive names nothing here
            return "; that is a Windows path: give the path on this machine, with '/' between folders"
        if Path(forward).exists():
            return f"; did you mean {forward}? write '/' between folders, not '\\'"
        return "; write '/' between folders, not '\\'"
    given = Path(text)
    folder = given.parent
    try:
        with os.scandir(folder) as entries:  # a look at the first 10,000 names only: a huge folder is no reason to wait
            names = sorted(e.name for e in itertools.islice(entries, 10_000) if e.is_file() or (folders and e.is_dir()))
    except OSError:
        return ""
    close = difflib.get_close_matches(given.name, names, n=1, cutoff=0.75)
    if close:
        return f"; did you mean {folder / close[0]}?"
    return ""


def path_too_long(exc: BaseException) -> ConfigError | None:
    """A ``ConfigError`` for an ``OSError`` "File name too long" (a path a flag or a file named), else None.

    ``Path.exists()`` / ``is_file()`` raise it instead of answering False, so a name over 255 bytes (or a path over
    4,096) given to any flag was an internal error (exit 3, the whole path in the message); it is bad input (exit 2)
    naming the path, shortened.
    """
    if not isinstance(exc, OSError) or exc.errno != errno.ENAMETOOLONG:
        return None
    name = exc.filename if isinstance(exc.filename, str) else os.fsdecode(exc.filename or "") if exc.filename else ""
    shown = name if len(name) <= 160 else f"{name[:100]}...{name[-40:]} ({len(name):,} characters)"
    return ConfigError(
        f"{shown or 'a path'}: the path is too long (a folder or file name over 255 bytes, or the whole path over "
        "4,096); check the path"
    )


def make_output_folder(out: Path, flag: str = "--out") -> None:
    """Create the output folder ``out``; OSError's text is one line naming ``flag`` and what to do.

    An existing file there (``--out gatekit.yaml``), or on the way to it, is called a file, not a folder.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        for part in (out, *out.parents):
            if part.exists() or part.is_symlink():
                if not part.is_dir():
                    what = "is a file" if part == out else f"is inside {part}, a file"
                    raise OSError(
                        exc.errno,
                        f"{flag} {out}: {what}, not a folder; give a folder for the reports (a new one is created)",
                    ) from None
                break
        raise OSError(
            exc.errno, f"{flag} {out}: cannot create the output folder ({exc.strerror}); choose a writable path"
        ) from None


def file_kind(mode: int) -> str:
    """What a non-regular ``st_mode`` is, for a message: "a directory", "a FIFO (named pipe)", "a device"..."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


class FolderGivenError(IsADirectoryError):
    """A folder where a file is read; ``str()`` and ``strerror`` say so and name a few of the files in it."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        import itertools

        try:
            with os.scandir(path) as entries:  # (the first 1,000 names only: a huge folder is no reason to wait)
                files = sorted(e.name for e in itertools.islice(entries, 1000) if e.is_file() and e.name[:1] != ".")
        except OSError:
            files = []
        shown = ", ".join(files[:3]) + (", ..." if len(files) > 3 else "")
        inside = f" (it holds {shown})" if files else ""
        super().__init__(errno.EISDIR, f"a folder, not a file{inside}")
        self.filename = os.fspath(path)

    def __str__(self) -> str:
        return str(self.strerror)


def _open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only descriptor of ``path`` when it is a regular file; ``InputFileError`` (or ``OSError``) else.

    ``O_NONBLOCK``: opening a FIFO with no writer returns at once (and is refused) instead of waiting for one.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise FolderGivenError(path)
        if not stat.S_ISREG(mode):
            raise InputFileError(f"{file_kind(mode)}, not a regular file; pass the file itself")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _too_large(size: int | None, limit: int) -> InputFileError:
    held = f"holds {size:,} bytes," if size is not None else "grew while read,"
    return InputFileError(f"the file {held} over the {limit >> 20:,} MiB read whole; check the path")


def read_input_bytes(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises ``InputFileError`` (an ``OSError``) for a FIFO, device, socket or a file larger than ``limit``,
    ``IsADirectoryError`` for a folder and the usual ``OSError`` for a missing or unreadable file.
    """
    fd = _open_regular(path)
    with os.fdopen(fd, "rb") as handle:
        size = os.fstat(fd).st_size
        if size > limit:
            raise _too_large(size, limit)
        chunks = [handle.read(size + 1)]  # (one more byte: a file growing while read is read on, within the bound)
        total = len(chunks[0])
        while total > size and chunks[-1]:
            if total > limit:
                raise _too_large(None, limit)
            chunks.append(handle.read(min(1 << 20, limit + 1 - total)))
            total += len(chunks[-1])
    if total > limit:
        raise _too_large(None, limit)
    return b"".join(chunks) if len(chunks) > 1 else chunks[0]


class NotUtf8Error(UnicodeDecodeError):
    """Bytes that are not UTF-8 text; ``str()`` says what they are instead, and to save the file as UTF-8."""

    def __str__(self) -> str:
        return str(self.reason)


def _wide_encoding(data: bytes) -> str | None:
    """The encoding UTF-16 or UTF-32 when ``data`` is plainly in it (a byte-order mark, a NUL after each letter).

    Windows Notepad's "Unicode" and PowerShell 5's ``>`` write UTF-16: UTF-8 reads its byte-order mark as an invalid
    byte, and its ASCII letters (a NUL after each one, without the mark) as text full of NUL characters.
    """
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:4096]
    nuls = head.count(0)
    if len(head) >= 4 and nuls * 4 >= len(head):  # a quarter of the bytes NUL: no UTF-8 text a person wrote
        return "UTF-32" if nuls * 10 > len(head) * 6 else "UTF-16"
    return None


def decode_utf8(data: bytes, *, bom: bool = True) -> str:
    """``data`` as UTF-8 text (``bom``: a leading UTF-8 byte-order mark dropped); else ``NotUtf8Error`` saying why.

    A UTF-16 or UTF-32 file is named as such (its ASCII decodes as UTF-8 text full of NUL characters otherwise).
    """
    wide = _wide_encoding(data)
    if wide is not None:
        raise NotUtf8Error(
            "utf-8",
            data,
            0,
            1,
            f"the file is {wide} text, not UTF-8; save it as UTF-8 (in Notepad: Save as, Encoding UTF-8)",
        )
    try:
        return data.decode("utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(
            "utf-8", data, exc.start, exc.end, f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None


def read_input_text(path: str | os.PathLike[str], limit: int) -> str:
    """:func:`read_input_bytes` decoded like ``Path.read_text`` (universal newlines); ``NotUtf8Error`` if not UTF-8."""
    text = decode_utf8(read_input_bytes(path, limit), bom=False)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def open_input_bytes(path: str | os.PathLike[str]) -> IO[bytes]:
    """The regular file ``path`` open for reading bytes line by line (errors as :func:`read_input_bytes`)."""
    return os.fdopen(_open_regular(path), "rb")


def open_input_text(path: str | os.PathLike[str], encoding: str = "utf-8") -> IO[str]:
    """The regular file ``path`` open for reading text line by line (errors as :func:`read_input_bytes`)."""
    return os.fdopen(_open_regular(path), "r", encoding=encoding)


def open_private_append(path: str | os.PathLike[str]) -> IO[str]:
    """Open ``path`` for appending text (parents created, mode 0600 when new): logs that may hold context.

    Opened for reading too when allowed, so :meth:`LogFile.append` can see whether the file ends inside a line.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    except PermissionError:  # a write-only file: appended to without the end-of-line check
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    return os.fdopen(fd, "a", encoding="utf-8")


def open_private_write(path: str | os.PathLike[str], *, append: bool = False) -> TextIO:
    """Open ``path`` for writing text, mode 0600: a run's output that may hold agent text or context.

    ``append`` False starts the file afresh and makes it 0600 even if an earlier run left it readable by others
    (as :func:`atomic_write_text` replaces a verdict with a 0600 file); ``append`` True keeps an existing file's mode
    (a resumed run's rows) and creates a missing one 0600.
    """
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        if not append:
            with contextlib.suppress(OSError):  # not ours to change (another owner): left as it was
                os.fchmod(fd, 0o600)
        return cast(TextIO, os.fdopen(fd, "a" if append else "w", encoding="utf-8"))
    except BaseException:
        os.close(fd)
        raise


def file_identity(handle: IO[str] | int) -> tuple[int, int]:
    """``(device, inode)`` of an open file (a handle or a descriptor), to notice the path being moved away."""
    info = os.fstat(handle if isinstance(handle, int) else handle.fileno())
    return info.st_dev, info.st_ino


def moved_away(path: str | os.PathLike[str], identity: tuple[int, int]) -> bool:
    """True when ``path`` no longer names the file ``identity`` was taken of (rotated, renamed or removed).

    A log rotated by renaming (``logrotate`` without ``copytruncate``) would otherwise get every later line in the
    renamed file, and readers of ``path`` would see no new rows at all.
    """
    try:
        info = os.stat(path)
    except OSError:
        return True
    return (info.st_dev, info.st_ino) != identity


class LogFile:
    """The append handle of a log file at a path: opened on first use, opened again once the path was rotated away.

    Not thread-safe: its owner holds its own lock around every call.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = path
        self.handle: IO[str] | None = None
        self._identity = (0, 0)
        self._where = ""  # the file's absolute path when first opened (a later chdir does not move the log)
        self._cut = b""  # the rest of a line a cut write left unfinished (``append``)
        self._cut_end = 0  # the file's size right after that cut
        self._queued = b""  # whole lines no write took yet (``append``)
        self.lines_written = 0  # lines now whole on disk (``append``)
        self.lines_lost = 0  # lines dropped: a cut line another process wrote after, a queue over ``MAX_QUEUED``

    def open(self) -> IO[str]:
        """The open handle; a new file at the path when the old one was rotated away (the old one is finished)."""
        handle = self.handle
        if handle is not None and moved_away(self._where, self._identity):
            self.handle = None
            if self._cut:  # the cut line is in the rotated file: the new one starts clean
                self._cut = b""
                self.lines_lost += 1
            handle.close()
        if self.handle is None:
            self._where = self._where or os.path.abspath(self.path)
            self.handle = open_private_append(self._where)
            self._identity = file_identity(self.handle)
        return self.handle

    def append(self, lines: str | bytes) -> None:
        """Append whole lines with one ``os.write`` on the ``O_APPEND`` descriptor (no buffer in between).

        One write of a regular file is not interleaved with another process's on Linux, so rows of two processes
        never mix. A write the kernel cuts short (a full disk, a file-size limit) raises ``OSError``; the rest of the
        cut line is written first next time only when the file still ends where the cut left it (no other process
        appended since), else it is dropped — never glued after another process's row. A writer that finds the file
        ending inside a line (another's cut write) starts its row on a new line, so only the cut row is lost. Lines
        that could not be written at all wait (up to ``MAX_QUEUED`` bytes) and go first, whole, in the next write.
        ``lines_written`` and ``lines_lost`` count the outcome of every line handed over. Those checks and the write
        hold the file's advisory lock (``flock``, taken by every gatekit writer): without it, a check could read the
        end of another process's write still being copied in and start a blank line. A lock not free within ~10 ms
        (a writer stopped inside it) is not waited for: the write goes ahead unchecked.
        """
        data = lines.encode("utf-8") if isinstance(lines, str) else bytes(lines)
        try:
            fd = self.open().fileno()
        except OSError:  # no file to write to (a folder at the path, no permission): these lines are lost
            self.lines_lost += data.count(b"\n")
            raise
        locked = _lock(fd)
        try:
            if locked:
                self._write_locked(fd, data)
            else:  # the rest of our own cut line waits (and is dropped once others have written)
                self._write(fd, b"", data)
        finally:
            if locked:
                _unlock(fd)

    def _write_locked(self, fd: int, data: bytes) -> None:
        """``append``'s body under the lock: the rest of our cut line, then a new line after another's cut one."""
        try:
            self._finish_cut_line(fd)
        except OSError:
            self._queue(data)
            raise
        lead = b"\n" if _ends_inside_a_line(fd) else b""  # another process's cut line: ours starts on a new one
        self._write(fd, lead, data)

    def _write(self, fd: int, lead: bytes, data: bytes) -> None:
        data, self._queued = self._queued + data, b""
        if not data:
            return
        try:
            written = os.write(fd, lead + data)
        except OSError:
            self._queue(data)
            raise
        done = max(written - len(lead), 0)  # bytes of ``data`` now in the file
        self.lines_written += data.count(b"\n", 0, done)
        if done < len(data):
            rest = data[done:]
            if done > 0 and data[done - 1 : done] != b"\n":  # the cut fell inside a line
                cut = rest.find(b"\n") + 1
                # where our write ended (O_APPEND leaves the offset there), not the size: another process may have
                # appended since, and the rest must then be dropped rather than written after its row
                self._cut, self._cut_end, rest = rest[:cut], os.lseek(fd, 0, os.SEEK_CUR), rest[cut:]
            self._queue(rest)
            raise OSError(
                errno.EIO, f"a write was cut after {written} of {len(lead + data)} bytes (disk full or size limit)"
            )

    @property
    def pending(self) -> int:
        """Lines handed over and not yet whole on disk (the rest of a cut line, queued lines)."""
        return self._queued.count(b"\n") + (1 if self._cut else 0)

    def discard(self) -> int:
        """Drop what is pending (counted in ``lines_lost``); returns how many lines were dropped."""
        dropped = self.pending
        self._cut, self._queued = b"", b""
        self.lines_lost += dropped
        return dropped

    def _finish_cut_line(self, fd: int) -> None:
        """Write the rest of a line cut earlier, if the file still ends where the cut left it; else drop it."""
        if not self._cut:
            return
        if os.fstat(fd).st_size != self._cut_end:  # another process appended since (or the file was rotated)
            self._cut = b""
            self.lines_lost += 1
            return
        written = os.write(fd, self._cut)
        self._cut, self._cut_end = self._cut[written:], self._cut_end + written
        if self._cut:
            raise OSError(errno.EIO, "the rest of a cut line was cut again (disk full or size limit)")
        self.lines_written += 1

    def _queue(self, data: bytes) -> None:
        if len(self._queued) + len(data) <= MAX_QUEUED:
            self._queued += data
        else:
            self.lines_lost += data.count(b"\n")

    def drain(self) -> None:
        """Write what earlier failed appends left (the rest of a cut line, queued lines); ``OSError`` when it fails."""
        if self._cut or self._queued:
            self.append("")

    def close(self) -> BaseException | None:
        """Flush and close; on a failed flush keep the file open with its unwritten lines (written first next time).

        Returns the error (for the owner to count), or None when the file is closed.
        """
        handle = self.handle
        if handle is None:
            return None
        try:
            self.drain()
            handle.flush()
        except Exception as exc:  # noqa: BLE001 - counted by the owner; the unwritten lines stay buffered
            return exc
        self.handle = None
        try:
            handle.close()
        except Exception as exc:  # noqa: BLE001 - counted by the owner
            return exc
        return None


def _lock(fd: int) -> bool:
    """Take the file's advisory lock that gatekit's writers share, waiting at most ~10 ms; False when not taken."""
    if fcntl is None:  # pragma: no cover - not on Windows
        return False
    for _ in range(20):
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            time.sleep(0.0005)
        except OSError:  # a file system without locks
            return False
    return False


def _unlock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)


def _ends_inside_a_line(fd: int) -> bool:
    """Whether the file's last byte is not a line end (a write was cut); False when it cannot be read."""
    try:
        size = os.fstat(fd).st_size
        return size > 0 and os.pread(fd, 1, size - 1) != b"\n"
    except OSError:  # opened write-only
        return False


def remove_regular_file(path: str | os.PathLike[str]) -> None:
    """Remove ``path`` if it is a regular file (never a symlink, device, FIFO or folder); ignore any failure.

    For an earlier run's outputs a new run will write again: ``--junit /dev/full`` must stay a device.
    """
    import stat

    with contextlib.suppress(OSError):
        if stat.S_ISREG(os.lstat(path).st_mode):
            os.unlink(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (temp file in the same folder, fsync, ``os.replace``).

    On any error the temporary file is removed, the old ``path`` is left as it was, and the
    ``OSError`` propagates.
    """
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; see :func:`atomic_write_text`.

    A FIFO, device or socket at ``path`` (or a link to one) is refused with ``InputFileError``: the rename would put
    a regular file in its place (``gatekit report --out /dev/full`` run as root replaced the device).
    """
    target = Path(path)
    try:
        mode = os.stat(target).st_mode
    except OSError:  # no file there yet (or none to look at: the write below says why)
        mode = stat.S_IFREG
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # (a folder: the rename below refuses it, EISDIR)
        raise InputFileError(f"{file_kind(mode)}, not a regular file; give the path of a file to write")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (best effort)
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return target


class OutputLock:
    """An exclusive lock on an output folder for one gate run (a context manager).

    A second run on the same folder gets ``ConfigError`` (exit 2) naming the holder.
    """

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> OutputLock:
        """Take the lock or raise ``ConfigError`` naming the run that holds it."""
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"--out {self.path.parent}: cannot create the lock file ({exc.strerror}); choose a writable --out"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = _read_holder(fd)
            os.close(fd)
            raise ConfigError(
                f"--out {self.path.parent}: another gatekit run is writing there ({holder}); "
                "wait for it to finish or choose another --out"
            ) from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started_at": datetime.now(UTC).isoformat()}
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        """Drop the lock (the file stays; the next run takes it over)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or "pid" not in info:
        return "holder unknown"
    return f"pid {info.get('pid')} on {info.get('host')}, started {info.get('started_at')}"


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file (a symlink, ``./`` or a hard link to it included)."""
    first, second = Path(a), Path(b)
    try:
        if first.exists() and second.exists():
            return os.path.samefile(first, second)
        return first.resolve() == second.resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL: the later open says what is wrong
        return False

"""``gatekit watch`` follows its log files across rotation: what a file held before it was truncated stays judged.

logrotate's ``copytruncate`` copies a log aside and truncates it in place, and the guard appends to the same file
again. The watch reads its whole source at every poll, so the rows before the truncation vanished, and with them the
rollback rules' streaks: two bad windows before the rotation and one after never fired a "3 consecutive windows"
rule. ``LogFollower`` copies each plain log file's new complete lines into the watch's private folder as it polls;
when a file is truncated (shorter than what was read, or its first bytes changed) or replaced (another file under the
name), the copy of its earlier rows is kept and judged with the file, which is read from its start again. Lines
appended after the last poll before a truncation are only in the copy logrotate made (``production.jsonl.1``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEAD_BYTES = 4096  # a file whose first bytes changed was truncated and written again (even past its old length)
CHUNK_BYTES = 1 << 20


@dataclass
class _Followed:
    """One log file as read so far: which file it was, how many bytes (whole lines) were copied, its first bytes."""

    identity: tuple[int, int]  # (device, inode)
    offset: int
    head: bytes
    copy: Path


def followed(path: Path) -> bool:
    """Whether a file is followed: JSON Lines and CSV text a writer appends to (not Parquet, not compressed)."""
    return path.name.lower().endswith((".jsonl", ".ndjson", ".json", ".csv"))


class LogFollower:
    """The files to judge at each poll of ``logs``: copies of what rotated files held before, then the log's files."""

    def __init__(self, logs: str, folder: Path, emit: Callable[[str], None]) -> None:
        self.logs = logs
        self.folder = folder
        self.emit = emit
        self.kept: list[Path] = []  # copies of earlier generations, oldest first
        self._files: dict[Path, _Followed] = {}
        self._copies = 0

    def paths(self) -> list[Path]:
        """The files to judge now (no file: nothing written yet); the log's new lines are copied on the way."""
        from gatekit.drift.sources import NotRegularFileError, RotatedLogError, resolve_paths
        from gatekit.errors import DatasetError

        try:
            live = resolve_paths(self.logs, "logs")
        except RotatedLogError:  # a log rotated under the watch into a name it cannot read: a read error
            raise
        except NotRegularFileError:  # a FIFO or a device is never a log file: bad input (it was watched silently)
            raise
        except DatasetError:  # no file (yet, or between a rename and the next file)
            live = []
        present = []
        for path in live:
            try:
                size = path.stat().st_size
            except OSError:  # removed since it was listed
                continue
            if followed(path):
                self._follow(path)
            if size > 0:
                present.append(path)
        for path in [p for p in self._files if p not in live]:  # renamed or removed: its rows stay judged
            self._keep(path, f"{_shown(path)} is gone (rotated or removed)")
        return [*self.kept, *present]

    def _follow(self, path: Path) -> None:
        try:
            stat = os.stat(path)
        except OSError:
            return
        known = self._files.get(path)
        if known is not None and self._rotated(path, known, stat):
            self._keep(path, f"{_shown(path)} was truncated or replaced (log rotation)")
            known = None
        if known is None:
            self._copies += 1
            copy = self.folder / f"{self._copies:04d}-{path.name}"
            copy.touch(mode=0o600)
            known = self._files[path] = _Followed((stat.st_dev, stat.st_ino), 0, b"", copy)
        self._copy_new_lines(path, known, stat.st_size)

    @staticmethod
    def _rotated(path: Path, known: _Followed, stat: os.stat_result) -> bool:
        if (stat.st_dev, stat.st_ino) != known.identity or stat.st_size < known.offset:
            return True
        if not known.head:
            return False
        try:
            with path.open("rb") as handle:
                return handle.read(len(known.head)) != known.head
        except OSError:
            return True

    def _keep(self, path: Path, what: str) -> None:
        """Keep the copy of ``path``'s rows read so far (judged from now on with the rest) and forget the file."""
        known = self._files.pop(path)
        if known.offset:
            self.kept.append(known.copy)
            self.emit(f"{what}: reading it from its start; the rows read before it are kept")
        else:
            known.copy.unlink(missing_ok=True)

    @staticmethod
    def _copy_new_lines(path: Path, known: _Followed, size: int) -> None:
        """Append the file's bytes from ``known.offset`` up to its last newline to the copy (a half-written line waits)."""
        if size <= known.offset:
            return
        try:
            with path.open("rb") as source, known.copy.open("r+b") as copy:
                source.seek(known.offset)
                copy.seek(known.offset)
                position = end = known.offset
                while position < size:
                    chunk = source.read(min(CHUNK_BYTES, size - position))
                    if not chunk:
                        break
                    copy.write(chunk)
                    newline = chunk.rfind(b"\n")
                    if newline >= 0:
                        end = position + newline + 1
                    position += len(chunk)
                copy.truncate(end)
        except OSError:  # unreadable now: the next poll tries again from the same offset
            return
        known.offset = end
        if len(known.head) < HEAD_BYTES and end > len(known.head):
            with known.copy.open("rb") as handle:
                known.head = handle.read(min(HEAD_BYTES, end))


def _shown(path: Path) -> str:
    from gatekit.drift.sources import escaped_name

    return escaped_name(path)

"""Dataset locations: a folder, or a .zip/.tar archive read in place, optionally a folder inside it.

`data/asl.zip/train` means the `train/` folder inside `data/asl.zip`; nothing is extracted to disk. Archive
handles are opened lazily in each process and never shared: a forked DataLoader worker inherits the parent's
file offset, so concurrent reads through one handle would corrupt each other.
"""

import os
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Optional

from datasets.errors import DataError

ARCHIVE_SUFFIXES = (".zip", ".tar")


def split_location(location: str) -> tuple[Path, str]:
    """`x.zip/inner/dir` -> (Path("x.zip"), "inner/dir"); a plain path -> (path, "")."""
    path = Path(location)
    if path.exists():
        return path, ""
    for parent in path.parents:
        if parent.suffix.lower() in ARCHIVE_SUFFIXES and parent.is_file():
            return parent, path.relative_to(parent).as_posix()
    return path, ""


def dataset_folder(location: str) -> Path:
    """Where a dataset's annotation files are looked up: the folder itself, else the folder holding the file."""
    base, _ = split_location(location)
    return base if base.is_dir() else base.parent


class FileTree:
    """Read-only files under a folder or inside an archive, addressed by posix paths relative to the location."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.base, self.prefix = split_location(location)
        self.kind = "dir" if self.base.is_dir() else self.base.suffix.lower()
        if not self.base.exists():
            raise DataError(f"{location}: no such file or folder")
        if self.kind not in ("dir", *ARCHIVE_SUFFIXES):
            raise DataError(f"{location}: expected a folder, a .zip or a .tar archive")
        self._handle: Optional[object] = None
        self._members: Optional[dict[str, object]] = None
        self._pid = -1  # the process that opened `_handle`

    def __getstate__(self) -> dict:
        return self.__dict__ | {"_handle": None, "_members": None}

    def _member(self, relative: str) -> str:
        return str(PurePosixPath(self.prefix, relative)) if self.prefix else relative

    def _archive_members(self) -> dict[str, object]:
        if self._members is None or self._pid != os.getpid():
            self._pid = os.getpid()
            if self.kind == ".zip":
                self._handle = zipfile.ZipFile(self.base)  # pylint: disable=consider-using-with  # kept open
                self._members = {i.filename: i for i in self._handle.infolist() if not i.is_dir()}
            else:
                self._handle = tarfile.open(self.base)  # pylint: disable=consider-using-with  # kept open
                self._members = {m.name: m for m in self._handle.getmembers() if m.isfile()}
        return self._members

    def files(self) -> list[str]:
        """Every file under the location, as sorted relative posix paths."""
        if self.kind == "dir":
            root = self.base
            return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        start = f"{self.prefix.rstrip('/')}/" if self.prefix else ""
        return sorted(name[len(start) :] for name in self._archive_members() if name.startswith(start))

    def exists(self, relative: str) -> bool:
        """Is there a file at `relative`?"""
        if self.kind == "dir":
            return (self.base / relative).is_file()
        return self._member(relative) in self._archive_members()

    def describe(self, relative: str) -> str:
        """A readable name for error messages."""
        return str(self.base / relative) if self.kind == "dir" else f"{self.base}/{self._member(relative)}"

    def read_bytes(self, relative: str) -> bytes:
        """The file's bytes; a missing file raises DataError naming it."""
        if not self.exists(relative):
            raise DataError(f"{self.describe(relative)}: no such file")
        if self.kind == "dir":
            return (self.base / relative).read_bytes()
        info = self._archive_members()[self._member(relative)]
        if self.kind == ".zip":
            return self._handle.read(info)
        return self._handle.extractfile(info).read()

    def local_path(self, relative: str) -> Path:
        """A real file path (decoders that need one, e.g. video); archives cannot give one."""
        if self.kind != "dir":
            raise DataError(f"{self.describe(relative)}: this format must be read from a folder, not an archive")
        return self.base / relative

"""Writing a compile's files into its output folder: all of them or none.

Every file is first written into a staging folder on the same file system; only when all
are written do they take the place of the files the previous compile wrote there (which
the caller names, from that compile's ``plan.json``), and those of them the new compile
does not write go away. Any other file in the folder is not the compiler's: it is kept,
and a new file that would land on one is refused before anything changes. A failure
puts every moved file back and removes the staging folders, so the folder holds either
the previous compile or the new one.

A new folder is staged beside its place and renamed into it; an existing folder (maybe
a mount point, or writable only inside) gets its staging folders inside it
(``.p4sfc-new-*``, ``.p4sfc-old-*``), where only a killed compile can leave them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from p4sfc_compiler.errors import P4SFCError


class OutputError(P4SFCError, OSError):
    """The output folder cannot be written, or writing it would lose a file p4sfc did not
    write. One line, naming the folder."""


def show(path: Path | str) -> str:
    """A path for a one-line message: control and other unprintable characters escaped."""
    text = str(path)
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _why(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _inside(rel: str) -> bool:
    """``rel`` stays inside the folder: relative, '/'-separated, no empty, '.' or '..' part."""
    parts = rel.split("/")
    return not rel.startswith("/") and not any(
        p in ("", ".", "..") or "\0" in p or "\\" in p for p in parts
    )


def check_relative(rel: str) -> None:
    if not _inside(rel):
        raise OutputError(f"{show(rel)} cannot be a file inside the output folder")


def write_folder(out_dir: Path, files: Mapping[str, str], previous: Iterable[str] = ()) -> None:
    """Write ``files`` (relative path -> text, UTF-8) into ``out_dir``.

    ``previous``: the relative paths an earlier compile wrote there; they are replaced
    or removed. Every other file in the folder is kept; a file of ``files`` that would
    replace one of them (or need a folder where one of them is) is refused.
    """
    for rel in files:
        check_relative(rel)
    if out_dir.is_dir():
        _replace_in(out_dir, files, {rel for rel in previous if _inside(rel)})
    elif os.path.lexists(out_dir):
        raise OutputError(f"{show(out_dir)}: cannot write the output folder: it exists and is not a folder")
    else:
        _create(out_dir, files)


def _write_all(root: Path, files: Mapping[str, str], out_dir: Path) -> None:
    for rel, text in sorted(files.items()):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    # Two names one file system takes for one (S1 and s1 where case does not count):
    # the second file would silently replace the first.
    found = {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}
    if found != set(files):
        lost = sorted(set(files) - found)
        raise OutputError(
            f"{show(out_dir)}: cannot write {', '.join(map(show, lost))}: this file system stores "
            "it under the name of another file of the compile (names that differ only in case?)"
        )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(paths: Iterable[Path]) -> None:
    """Remove staging folders and the (empty) folders a failed compile created."""
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)


def _create(out_dir: Path, files: Mapping[str, str]) -> None:
    """A new folder: staged beside its place, then renamed into it in one step."""
    place = Path(os.path.normpath(out_dir))
    created: list[Path] = []  # missing folders above it, deepest first
    anc = place.parent
    while not anc.is_dir() and anc != anc.parent:
        if os.path.lexists(anc):
            raise OutputError(
                f"{show(out_dir)}: cannot create the output folder: {show(anc)} is a file, not a folder"
            )
        created.append(anc)
        anc = anc.parent
    stage: Path | None = None
    try:
        for d in reversed(created):
            d.mkdir()
        stage = Path(tempfile.mkdtemp(prefix=f".{place.name}.p4sfc-", dir=place.parent))
        _write_all(stage, files, out_dir)
        stage.chmod(0o777 & ~_umask())  # what mkdir would have given it
        os.rename(stage, place)
    except BaseException as exc:
        _remove([stage] if stage else [])
        for d in created:  # each is empty once the stage is gone
            try:
                d.rmdir()
            except OSError:
                break
        if isinstance(exc, OutputError):
            raise
        if isinstance(exc, OSError):
            raise OutputError(f"{show(out_dir)}: cannot create the output folder: {_why(exc)}") from None
        raise


def _in_the_way(root: Path, files: Iterable[str], previous: set[str]) -> str | None:
    """The first path a new file needs that holds something the compiler did not write."""
    for rel in sorted(files):
        parts = rel.split("/")
        for k in range(1, len(parts)):
            d = "/".join(parts[:k])
            if os.path.lexists(root / d) and not (root / d).is_dir():
                return d
        if os.path.lexists(root / rel) and rel not in previous:
            return rel
    return None


def _replace_in(root: Path, files: Mapping[str, str], previous: set[str]) -> None:
    """An existing folder: stage inside it, then swap the compiler's files file by file,
    undoing every move if one fails."""
    previous = {rel for rel in previous if os.path.lexists(root / rel) and not (root / rel).is_dir()}
    blocked = _in_the_way(root, files, previous)
    if blocked is not None:
        raise OutputError(
            f"{show(root)}: {show(blocked)} is in the way and was not written by p4sfc (the "
            "folder's plan.json does not name it): move it away or choose another output folder"
        )
    stage: Path | None = None
    backup: Path | None = None
    moved: list[tuple[Path, Path]] = []  # (from, to), in order
    made: list[Path] = []  # folders made in root, in order
    try:
        stage = Path(tempfile.mkdtemp(prefix=".p4sfc-new-", dir=root))
        _write_all(stage, files, root)
        backup = Path(tempfile.mkdtemp(prefix=".p4sfc-old-", dir=root))
        for rel in sorted(previous):
            (backup / rel).parent.mkdir(parents=True, exist_ok=True)
            os.rename(root / rel, backup / rel)
            moved.append((root / rel, backup / rel))
        for rel in sorted(files):
            parent = root
            for part in rel.split("/")[:-1]:
                parent = parent / part
                if not parent.is_dir():
                    parent.mkdir()
                    made.append(parent)
            os.rename(stage / rel, root / rel)
            moved.append((stage / rel, root / rel))
    except BaseException as exc:
        stuck = []
        for src, dst in reversed(moved):
            try:
                os.rename(dst, src)
            except OSError:
                stuck.append(src)
        for d in reversed(made):
            try:
                d.rmdir()
            except OSError:
                pass
        if stuck:
            # a file that could not go back stays where it is: never delete it
            raise OutputError(
                f"{show(root)}: cannot write the output folder, nor put {len(stuck)} of its files "
                f"back: they are in {show(backup or root)}"
            ) from None
        _remove([p for p in (stage, backup) if p])
        if isinstance(exc, OutputError):
            raise
        if isinstance(exc, OSError):
            raise OutputError(f"{show(root)}: cannot write the output folder: {_why(exc)}") from None
        raise
    _remove([p for p in (stage, backup) if p])
    _prune(root, previous - set(files), set(files))


def _prune(root: Path, gone: set[str], kept: set[str]) -> None:
    """Remove the folders that only held files the new compile no longer writes."""
    needed = {"/".join(rel.split("/")[:k]) for rel in kept for k in range(1, rel.count("/") + 1)}
    folders = {"/".join(rel.split("/")[:k]) for rel in gone for k in range(1, rel.count("/") + 1)}
    for d in sorted(folders - needed, key=lambda d: -d.count("/")):
        try:
            (root / d).rmdir()  # only when empty: a file of someone else's keeps it
        except OSError:
            pass

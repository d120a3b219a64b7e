"""Where the shipped data lives: the repository tree in a checkout, the package in a wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def data_path(*parts: str) -> Path:
    """Path of a shipped data file or folder (``elements``, ``templates``, ``examples``).

    A source checkout reads the top-level folders directly, so edits show up without
    reinstalling; an installed wheel carries them under ``p4sfc_compiler/_data``.
    """
    top = {"templates": ("p4", "templates")}.get(parts[0], (parts[0],))
    in_repo = _REPO.joinpath(*top, *parts[1:])
    if in_repo.exists():
        return in_repo
    return Path(str(resources.files("p4sfc_compiler").joinpath("_data", *parts)))

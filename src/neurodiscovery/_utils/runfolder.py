"""Run folders: ``runs/<UTC-timestamp>-<command>/`` written atomically.

A run is built in a hidden temporary sibling folder (``.<name>.partial-XXXX``) and
renamed into place only when complete, so an interrupted or failed run never
leaves a folder that looks finished, and an existing folder is never overwritten.
"""
from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from .atomic import atomic_output, current_umask
from .errors import InputError

_VERSIONED = ("numpy", "scipy", "sklearn", "torch", "pynwb", "h5py", "numba", "matplotlib",
              "skimage", "zarr", "dask")


def package_versions() -> dict[str, str]:
    """Versions of Python, neurodiscovery and the already-imported scientific stack."""
    from .. import __version__

    out = {"python": platform.python_version(), "neurodiscovery": __version__,
           "platform": platform.platform()}
    for mod in _VERSIONED:
        m = sys.modules.get(mod)
        if m is not None:
            out[mod] = str(getattr(m, "__version__", "?"))
    return out


def _jsonable(obj: Any):
    import numpy as np

    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, float) and (obj != obj or obj in (float("inf"), float("-inf"))):
        return None  # JSON has no NaN; null is the honest spelling
    return obj


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write JSON atomically (temp file in the same folder, then ``os.replace``), following the umask."""
    with atomic_output(path) as tmp, open(tmp, "w") as fh:
        json.dump(_jsonable(data), fh, indent=2, allow_nan=False)
        fh.write("\n")


class RunFolder:
    """Context manager that builds a run folder atomically.

    Parameters
    ----------
    command : str
        Sub-command name, used in the default folder name.
    out : path, optional
        Exact destination. Must not exist yet (we never overwrite a user's folder).
    root : path
        Parent of default run folders (``runs/``).
    config : dict
        Parameters and seeds; written to ``config.json`` with package versions.

    Examples
    --------
    >>> with RunFolder("info", config={"seed": 0}) as run:      # doctest: +SKIP
    ...     run.write_metrics({"n_units": 15})
    >>> run.path  # final location, exists only after a clean exit  # doctest: +SKIP
    """

    def __init__(self, command: str, out: str | os.PathLike | None = None,
                 root: str | os.PathLike = "runs", config: dict | None = None):
        if out is None:
            stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S_%fZ")
            out = Path(root) / f"{stamp}-{command}"
        self.path = Path(out).resolve()
        if self.path.exists():
            raise InputError(f"output folder {self.path} already exists; choose another --out "
                             "(neurodiscovery never overwrites a run)")
        self.command = command
        self.config = dict(config or {})
        self.tmp: Path | None = None

    def __enter__(self) -> "RunFolder":
        ancestor = self.path.parent
        while not ancestor.exists() and ancestor != ancestor.parent:
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise InputError(f"cannot create the run folder {self.path}: {ancestor} is a file, not a folder")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}.partial-"))
        except OSError as exc:  # read-only or full file system, permissions: name the folder the user chose
            reason = exc.strerror or type(exc).__name__
            raise InputError(f"cannot create the run folder {self.path}: {reason.lower()}; choose another --out"
                             ) from None
        # mkdtemp creates 0700; the finished run should be readable by colleagues as the umask allows
        os.chmod(self.tmp, 0o777 & ~current_umask())
        (self.tmp / "figures").mkdir()
        return self

    @property
    def dir(self) -> Path:
        """Folder to write into while the run is in progress."""
        if self.tmp is None:
            raise RuntimeError("RunFolder used outside its 'with' block")
        return self.tmp

    @property
    def figures(self) -> Path:
        return self.dir / "figures"

    def write_json(self, name: str, data: Any) -> Path:
        p = self.dir / name
        write_json(p, data)
        return p

    def write_metrics(self, metrics: dict) -> Path:
        return self.write_json("metrics.json", metrics)

    def write_text(self, name: str, text: str) -> Path:
        p = self.dir / name
        p.write_text(text, encoding="utf-8")
        return p

    def __exit__(self, exc_type, exc, tb) -> bool:
        assert self.tmp is not None
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        cfg = {"command": self.command, **self.config, "versions": package_versions(),
               "created_utc": _dt.datetime.now(_dt.timezone.utc).isoformat()}
        write_json(self.tmp / "config.json", cfg)
        if self.path.exists():  # appeared while we ran: keep both, never clobber
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise InputError(f"output folder {self.path} appeared during the run; not overwritten")
        try:
            os.rename(self.tmp, self.path)  # fails on a non-empty folder another run published meanwhile
        except OSError as exc:
            shutil.rmtree(self.tmp, ignore_errors=True)
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
                raise InputError(f"output folder {self.path} appeared during the run; not overwritten") from None
            raise
        return False

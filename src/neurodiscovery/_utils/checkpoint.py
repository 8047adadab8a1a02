"""The package's one checkpoint format: a folder holding ``state_dict.pt`` and ``config.json``.

``state_dict.pt`` holds only tensors (loaded with ``torch.load(weights_only=True)``: no
pickled Python objects, so opening a checkpoint never runs code). ``config.json`` holds
what is needed to rebuild the model (its constructor config), free-form metadata
(training data, scores, seed), and the name, shape and dtype of every tensor, so a loader
can check a checkpoint against its config *before* building anything large.

Layout of ``config.json``::

    {"format": "neurodiscovery-checkpoint", "format_version": 1, "kind": "<model kind>",
     "config": {...}, "metadata": {...},
     "tensors": {"<name>": {"shape": [...], "dtype": "float32", "stored_dtype": "float16"}}}

A checkpoint folder is written into a hidden temporary sibling and renamed into place when
complete; an existing path is never overwritten.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from .errors import DataFileError, InputError, MissingFileError, require

FORMAT = "neurodiscovery-checkpoint"
FORMAT_VERSION = 1
STATE_FILE = "state_dict.pt"
CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class Checkpoint:
    """A loaded checkpoint.

    Attributes
    ----------
    kind : str
        Which model the checkpoint belongs to (e.g. ``"gru_decoder"``, ``"em_unet2d"``).
    state_dict : dict of str to torch.Tensor
        Tensors in their original dtypes (float16-stored tensors cast back).
    config : dict
        Constructor configuration (JSON types only).
    metadata : dict
        Free-form JSON facts stored with the weights.
    """

    kind: str
    state_dict: dict
    config: dict
    metadata: dict = field(default_factory=dict)


def _torch():
    return require("torch")


def save_checkpoint(folder: str | os.PathLike, state_dict: Mapping[str, Any], config: Mapping[str, Any], *,
                    kind: str, metadata: Mapping[str, Any] | None = None, half: bool = False) -> Path:
    """Write a checkpoint folder atomically.

    Parameters
    ----------
    folder : path-like
        Folder to create; it must not exist (nothing is ever overwritten). Parents are created.
    state_dict : mapping of str to tensor or array
        Model weights (``module.state_dict()``) or any named arrays (numpy arrays are stored as tensors).
    config : mapping
        JSON-serialisable constructor configuration.
    kind : str
        Model kind, checked by :func:`load_checkpoint`.
    metadata : mapping, optional
        JSON-serialisable facts stored beside the weights.
    half : bool
        Store floating-point tensors as float16 (cast back on load); halves the file size.

    Returns
    -------
    Path
        The created folder.
    """
    torch = _torch()
    import numpy as np

    folder = Path(folder)
    if folder.exists() or folder.is_symlink():
        raise InputError(f"checkpoint folder {folder} already exists; choose a new path (nothing is overwritten)")
    tensors, table = {}, {}
    for name, value in state_dict.items():
        t = value.detach().cpu() if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))
        dtype = str(t.dtype).replace("torch.", "")
        stored = t.half() if (half and t.is_floating_point() and t.dtype != torch.float16) else t
        tensors[str(name)] = stored.contiguous()
        table[str(name)] = {"shape": list(t.shape), "dtype": dtype,
                            "stored_dtype": str(stored.dtype).replace("torch.", "")}
    doc = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": str(kind),
           "config": dict(config), "metadata": dict(metadata or {}), "tensors": table}
    try:
        text = json.dumps(doc, indent=2, allow_nan=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise InputError(f"checkpoint config/metadata must be JSON-serialisable and finite: {exc}") from None
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.partial-"))
    try:
        torch.save(tensors, tmp / STATE_FILE)
        (tmp / CONFIG_FILE).write_text(text + "\n")
        os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _json_default(obj):
    import numpy as np

    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def read_checkpoint_config(folder: str | os.PathLike, *, kind: str | None = None) -> dict:
    """Read and validate ``config.json`` of a checkpoint without loading any tensor.

    Returns
    -------
    dict
        The whole document (``kind``, ``config``, ``metadata``, ``tensors``).
    """
    folder = Path(folder)
    if not folder.exists():
        raise MissingFileError(f"checkpoint {folder} does not exist")
    if not folder.is_dir():
        raise DataFileError(f"{folder} is not a checkpoint folder (expected a folder with {STATE_FILE} "
                            f"and {CONFIG_FILE})")
    cfg_path = folder / CONFIG_FILE
    if not cfg_path.is_file():
        raise DataFileError(f"checkpoint {folder} has no {CONFIG_FILE}; it is incomplete or not a "
                            "neurodiscovery checkpoint")
    try:
        doc = json.loads(cfg_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{cfg_path} is not valid JSON ({exc.__class__.__name__}); the checkpoint is damaged"
                            ) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise DataFileError(f"{folder} is not a neurodiscovery checkpoint ({CONFIG_FILE} lacks "
                            f"format={FORMAT!r})")
    if doc.get("format_version") != FORMAT_VERSION:
        raise DataFileError(f"{folder} has checkpoint format version {doc.get('format_version')!r}; this "
                            f"version of neurodiscovery reads version {FORMAT_VERSION}")
    for key, typ in (("kind", str), ("config", dict), ("metadata", dict), ("tensors", dict)):
        if not isinstance(doc.get(key), typ):
            raise DataFileError(f"{cfg_path}: field {key!r} is missing or not a {typ.__name__}; the checkpoint "
                                "is damaged")
    if kind is not None and doc["kind"] != kind:
        raise InputError(f"{folder} holds a {doc['kind']!r} checkpoint, not a {kind!r} one")
    return doc


def load_checkpoint(folder: str | os.PathLike, *, kind: str | None = None) -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint` (``weights_only=True``, on CPU).

    Parameters
    ----------
    folder : path-like
    kind : str, optional
        If given, the checkpoint must be of this kind.

    Raises
    ------
    MissingFileError, DataFileError, InputError
        One line naming what is wrong: missing folder or file, damaged config, wrong kind,
        tensors that are not what the config lists, or a file holding anything but tensors.
    """
    torch = _torch()
    doc = read_checkpoint_config(folder, kind=kind)
    state_path = Path(folder) / STATE_FILE
    if not state_path.is_file():
        raise DataFileError(f"checkpoint {folder} has no {STATE_FILE}; it is incomplete")
    try:
        sd = torch.load(state_path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for foreign, truncated or unsafe files
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        if "weights_only" in str(exc) or "Unsupported global" in str(exc):
            first = "it holds Python objects, not only tensors; such files can run code and are refused"
        raise DataFileError(f"{state_path} cannot be read as weights: {first}") from None
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise DataFileError(f"{state_path} does not hold a dictionary of tensors")
    table = doc["tensors"]
    if set(sd) != set(table):
        diff = sorted(set(sd) ^ set(table))[:3]
        raise DataFileError(f"{state_path} does not hold the tensors its {CONFIG_FILE} lists (differ: {diff})")
    out = {}
    for name, t in sd.items():
        spec = table[name]
        if list(t.shape) != list(spec.get("shape", [])):
            raise DataFileError(f"{state_path}: tensor {name!r} has shape {list(t.shape)}, the config says "
                                f"{spec.get('shape')}")
        want = getattr(torch, str(spec.get("dtype", "")), None)
        if not isinstance(want, torch.dtype):
            raise DataFileError(f"{CONFIG_FILE}: tensor {name!r} has unknown dtype {spec.get('dtype')!r}")
        out[name] = t.to(want) if t.dtype != want else t
    return Checkpoint(kind=doc["kind"], state_dict=out, config=doc["config"], metadata=doc["metadata"])

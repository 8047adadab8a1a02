"""Save and load fitted decoders without pickle, in the package's checkpoint format.

A fitted decoder is its constructor parameters plus its learned state. Numeric arrays go
into ``state_dict.pt`` (tensors, loaded with ``weights_only=True``); scalars, small
dicts, label arrays and the class name go into ``config.json``. Only the decoder
classes of this package (and the scikit-learn ``LogisticRegression`` a
:class:`~neurodiscovery.decoding.LogisticDecoder` holds) are ever rebuilt, so loading a
folder cannot run code. The torch decoders keep their own ``save``/``load`` (network
weights plus scalers) and are dispatched to.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .._utils.errors import DataFileError, InputError

KIND = "decoder"


def _classes() -> dict:
    from sklearn.linear_model import LogisticRegression

    from .bayes import PoissonBayesDecoder
    from .classification import LogisticDecoder
    from .kalman import KalmanFilterDecoder
    from .linear import WienerCascade, WienerFilter
    from .neural import GRUDecoder, LSTMDecoder, MLPClassifierDecoder, MLPDecoder

    return {c.__name__: c for c in (PoissonBayesDecoder, LogisticDecoder, KalmanFilterDecoder, WienerCascade,
                                    WienerFilter, GRUDecoder, LSTMDecoder, MLPClassifierDecoder, MLPDecoder,
                                    LogisticRegression)}


_TORCH = ("GRUDecoder", "LSTMDecoder", "MLPClassifierDecoder", "MLPDecoder")


def _is_learned(name: str) -> bool:
    return name.endswith("_") or (name.startswith("_") and not name.startswith("__"))


def _encode(value, key: str, tensors: dict):
    """JSON description of one attribute; numeric arrays are moved to ``tensors``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"t": "py", "v": value if not (isinstance(value, float) and not np.isfinite(value)) else str(value)}
    if isinstance(value, np.generic):
        return _encode(value.item(), key, tensors)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fiub":
            tensors[key] = np.ascontiguousarray(value)
            # memory order changes BLAS summation order: keep it so predictions stay bit-identical
            fortran = bool(value.flags.f_contiguous and not value.flags.c_contiguous)
            return {"t": "tensor", "key": key, "order": "F" if fortran else "C"}
        return {"t": "array", "v": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, (list, tuple)):
        return {"t": type(value).__name__, "v": [_encode(v, f"{key}.{i}", tensors) for i, v in enumerate(value)]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[_encode(k, f"{key}.k{i}", tensors), _encode(v, f"{key}.v{i}", tensors)]
                                   for i, (k, v) in enumerate(value.items())]}
    if type(value).__name__ in _classes() and type(value).__name__ not in _TORCH:
        return {"t": "estimator", "v": _encode_estimator(value, key, tensors)}
    raise InputError(f"cannot save attribute {key} of type {type(value).__name__} without pickle")


def _encode_estimator(est, prefix: str, tensors: dict) -> dict:
    params = {k: _encode(v, f"{prefix}param.{k}", tensors) for k, v in est.get_params(deep=False).items()}
    attrs = {k: _encode(v, f"{prefix}{k}", tensors) for k, v in vars(est).items()
             if _is_learned(k) and k != "_generator"}
    return {"class": type(est).__name__, "params": params, "attrs": attrs}


def _decode(doc, state: dict):
    t = doc["t"]
    if t == "py":
        v = doc["v"]
        return float(v) if isinstance(v, str) and v in ("nan", "inf", "-inf") else v
    if t == "tensor":
        a = state[doc["key"]].numpy().copy()
        return np.asfortranarray(a) if doc.get("order") == "F" else a
    if t == "array":
        return np.asarray(doc["v"], dtype=np.dtype(doc["dtype"]))
    if t in ("list", "tuple"):
        out = [_decode(v, state) for v in doc["v"]]
        return out if t == "list" else tuple(out)
    if t == "dict":
        return {_decode(k, state): _decode(v, state) for k, v in doc["v"]}
    if t == "estimator":
        return _decode_estimator(doc["v"], state)
    raise DataFileError(f"unknown attribute type {t!r} in a decoder checkpoint")


def _decode_estimator(doc: dict, state: dict):
    classes = _classes()
    if doc["class"] not in classes:
        raise DataFileError(f"decoder checkpoint names an unknown class {doc['class']!r}")
    est = classes[doc["class"]](**{k: _decode(v, state) for k, v in doc["params"].items()})
    for k, v in doc["attrs"].items():
        setattr(est, k, _decode(v, state))
    return est


def save_decoder(decoder, folder) -> Path:
    """Save a fitted decoder to a new folder (``state_dict.pt`` + ``config.json``; no pickle).

    Parameters
    ----------
    decoder : a fitted decoder of :mod:`neurodiscovery.decoding`
    folder : path-like
        Must not exist yet.

    Returns
    -------
    Path of the folder. Reload with :func:`load_decoder`.
    """
    from sklearn.utils.validation import check_is_fitted

    from .._utils.checkpoint import save_checkpoint

    name = type(decoder).__name__
    if name not in _classes() or name == "LogisticRegression":
        raise InputError(f"save_decoder saves this package's decoders, not {name}")
    check_is_fitted(decoder)
    if name in _TORCH:
        if Path(folder).exists():
            raise InputError(f"folder {folder} already exists; choose a new path (nothing is overwritten)")
        return decoder.save(folder)
    tensors: dict = {}
    config = _encode_estimator(decoder, "", tensors)
    return save_checkpoint(folder, tensors, config, kind=KIND, metadata={"class": name})


def load_decoder(folder):
    """Load a decoder saved by :func:`save_decoder` (tensors with ``weights_only=True``).

    Parameters
    ----------
    folder : path-like
        The folder :func:`save_decoder` wrote (``config.json`` + ``state_dict.pt``).

    Returns
    -------
    estimator
        The fitted decoder, of the class it was saved as; its predictions equal the saved one's.

    Raises
    ------
    MissingFileError
        When the folder has no ``config.json``.
    DataFileError
        When the files are not a decoder checkpoint of this package (invalid JSON, unknown class).
    """
    from .._utils.checkpoint import load_checkpoint

    folder = Path(folder)
    cfg_path = folder / "config.json"
    if not cfg_path.exists():
        from .._utils.errors import MissingFileError

        raise MissingFileError(f"{folder} is not a saved decoder (no config.json)")
    try:
        raw = json.loads(cfg_path.read_text())
    except json.JSONDecodeError as exc:
        raise DataFileError(f"{cfg_path} is not valid JSON: {exc}") from None
    torch_kind = str(raw.get("kind", "")).removeprefix("decoding.")
    for name in (raw.get("class"), torch_kind):
        if name in _TORCH:        # torch decoders load through their own checkpoint reader
            return _classes()[name].load(folder)
    ck = load_checkpoint(folder, kind=KIND)
    state = {k: v.cpu() for k, v in ck.state_dict.items()}
    return _decode_estimator(ck.config, state)

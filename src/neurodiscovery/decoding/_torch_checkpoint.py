"""Saving and loading the torch decoders as package checkpoints (state dict + JSON config, no pickle)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ._torch_nets import _build_module, _module_shapes, _torch


class TorchCheckpointMixin:
    """``save`` / ``load`` of a fitted torch decoder (:mod:`neurodiscovery._utils.checkpoint`).

    The decoder class provides ``_extra_config()`` / ``_load_extra(cfg)`` for its own fitted
    attributes (target scaling, classes).
    """

    def save(self, path) -> Path:
        """Save as a package checkpoint folder (``state_dict.pt`` + ``config.json``; must not exist).

        Parameters
        ----------
        path : path-like
            Folder to create (see :func:`neurodiscovery._utils.checkpoint.save_checkpoint`).

        Returns
        -------
        Path
        """
        from sklearn.utils.validation import check_is_fitted

        from .._utils.checkpoint import save_checkpoint

        check_is_fitted(self)
        params = {k: v for k, v in self.get_params().items() if k != "seed"}
        rs = self.seed if isinstance(self.seed, (int, type(None))) else None
        cfg = {"class": type(self).__name__, "params": {**params, "seed": rs},
               "n_features_in_": int(self.n_features_in_), "input_shape": list(self._input_shape),
               "n_outputs": int(self._n_outputs), "x_mean_": np.asarray(self.x_mean_).tolist(),
               "x_scale_": np.asarray(self.x_scale_).tolist(), **self._extra_config()}
        return save_checkpoint(path, self.module_.state_dict(), cfg, kind=self._checkpoint_kind())

    @classmethod
    def _checkpoint_kind(cls) -> str:
        return f"decoding.{cls.__name__}"

    @classmethod
    def load(cls, path):
        """Load a decoder saved with :meth:`save` (``weights_only=True``: no pickle).

        Parameters
        ----------
        path : path-like
            Checkpoint folder.

        Raises
        ------
        DataFileError, InputError, MissingFileError
            A damaged or foreign checkpoint, or one of another decoder class.
        """
        from .._utils.checkpoint import load_checkpoint
        from .._utils.errors import DataFileError

        torch = _torch()
        ck = load_checkpoint(path, kind=cls._checkpoint_kind())
        cfg = ck.config
        try:
            est = cls(**cfg["params"])
            est.n_features_in_ = int(cfg["n_features_in_"])
            est._input_shape = tuple(int(v) for v in cfg["input_shape"])
            est._n_outputs = int(cfg["n_outputs"])
            est.x_mean_ = np.asarray(cfg["x_mean_"], float)
            est.x_scale_ = np.asarray(cfg["x_scale_"], float)
            est._load_extra(cfg)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataFileError(f"checkpoint {path}: config.json is not a {cls.__name__} config ({exc!r})") from None
        g = torch.Generator().manual_seed(0)
        n_in = est._input_shape[-1] if est._kind != "mlp" else int(np.prod(est._input_shape))
        shapes = _module_shapes(est._kind, n_in, est._n_outputs, int(est.hidden_size), int(est.n_layers))
        got = {k: tuple(v.shape) for k, v in ck.state_dict.items()}
        if got != shapes:  # checked before building, so a tampered config cannot allocate a huge network
            raise DataFileError(f"checkpoint {path}: weights do not match its config (e.g. "
                                f"{sorted(set(got.items()) ^ set(shapes.items()))[:1]})")
        est.module_ = _build_module(est._kind, n_in, est._n_outputs, int(est.hidden_size),
                                    int(est.n_layers), float(est.dropout), g)
        est.module_.load_state_dict(ck.state_dict)
        est.module_.eval()
        return est

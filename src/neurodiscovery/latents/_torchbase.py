"""What the torch latent models share: constructor config, checkpoint save/load, thread-safe seeding."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._utils.errors import InputError


class TorchLatentModel:
    """Mixin for scikit-learn-style torch models saved in the package's checkpoint format.

    Subclasses define ``KIND`` (checkpoint kind), ``_build(n_in, n_out)`` returning the
    ``torch.nn.Module``, and store ``module_``, ``n_features_in_`` and ``n_outputs_`` when fitted.
    """

    KIND = ""

    def _check_fitted(self):
        if not hasattr(self, "module_"):
            raise InputError(f"this {type(self).__name__} is not fitted yet; call fit first")

    def save(self, folder: str | os.PathLike, metadata: dict | None = None) -> Path:
        """Write the fitted model as ``folder/state_dict.pt`` + ``folder/config.json``."""
        from .._utils.checkpoint import save_checkpoint

        self._check_fitted()
        config = {"params": self.get_params(), "n_features_in": int(self.n_features_in_),
                  "n_outputs": int(self.n_outputs_), "extra": self._extra_state()}
        return save_checkpoint(folder, self.module_.state_dict(), config, kind=self.KIND,
                               metadata=metadata or {})

    @classmethod
    def load(cls, folder: str | os.PathLike):
        """Rebuild a model saved with :meth:`save` (weights loaded with ``weights_only=True``)."""
        from .._utils.checkpoint import load_checkpoint

        ck = load_checkpoint(folder, kind=cls.KIND)
        cfg = ck.config
        model = cls(**cfg["params"])
        model.n_features_in_ = int(cfg["n_features_in"])
        model.n_outputs_ = int(cfg["n_outputs"])
        model._set_extra_state(cfg.get("extra", {}))
        module = model._build(model.n_features_in_, model.n_outputs_)
        try:
            module.load_state_dict(ck.state_dict)
        except RuntimeError as exc:
            raise InputError(f"checkpoint {folder} does not match its config: {str(exc).splitlines()[0]}") from None
        module.eval()
        model.module_ = module
        return model

    def _extra_state(self) -> dict:
        return {}

    def _set_extra_state(self, extra: dict) -> None:
        pass


def to_tensor(a: np.ndarray):
    import torch

    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)

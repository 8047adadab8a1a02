"""Neural-network decoders in torch: feedforward MLP, GRU, LSTM, and an MLP classifier.

All share one training loop: inputs and (for regression) targets are z-scored with
training statistics; AdamW with weight decay; shuffled mini-batches; early stopping on
a validation block taken from the *end* of the training data (``validation_gap``
samples apart, so spike-history windows of the two parts share no bins); the weights of
the best validation epoch are kept.

Randomness comes only from a ``torch.Generator`` seeded by ``seed``: weight
initialisation, batch order and dropout masks. The global torch RNG is neither seeded
nor advanced, and the thread count is whatever the caller set with
``torch.set_num_threads`` (never changed here).

Trained models can be saved as a state dict plus a JSON config and loaded with
``torch.load(weights_only=True)`` (no pickle).
"""
from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from .._utils.errors import InputError
from ._common import (
    MultiOutputMixin,
    resolve_validation_gap,
    restore_shape,
    validate_fit,
    validate_predict,
    validation_split,
)
from ._torch_checkpoint import TorchCheckpointMixin
from ._torch_nets import AdamW, _build_module, _net_classes, _torch


def __getattr__(name):  # models pickled when the network classes lived here
    if name in ("_GenDropout", "_MLPNet", "_RNNNet"):
        return _net_classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class _TorchDecoder(TorchCheckpointMixin, BaseEstimator):
    """Shared fit/predict machinery (not public)."""

    _kind = "mlp"
    _classifier = False

    def __init__(self, hidden_size=64, n_layers=1, dropout=0.1, lr=1e-3, weight_decay=1e-4,
                 batch_size=128, max_epochs=200, patience=10, validation_fraction=0.2,
                 validation_gap="auto", n_lags=1, seed=0):
        self.hidden_size = hidden_size
        self.n_layers = n_layers
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.validation_gap = validation_gap
        self.n_lags = n_lags
        self.seed = seed

    # ---- input layout -------------------------------------------------------------
    def _as_input(self, X):
        """(samples, lags, neurons) for recurrent decoders; (samples, features) for MLPs."""
        if self._kind == "mlp":
            return X.reshape(X.shape[0], -1)
        if X.ndim == 3:
            return X
        L = int(self.n_lags)
        if L < 1 or X.shape[1] % L:
            raise InputError(f"{X.shape[1]} flat features cannot be split into n_lags={self.n_lags} "
                             "equal lags; pass (samples, lags, neurons) or fix n_lags")
        return X.reshape(X.shape[0], L, X.shape[1] // L)

    def _check_params(self):
        for name in ("hidden_size", "n_layers", "max_epochs", "patience"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                raise InputError(f"{name} must be a positive integer, got {v!r}")
        if not 0 <= self.dropout < 1:
            raise InputError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if not self.lr > 0:
            raise InputError(f"lr must be > 0, got {self.lr!r}")
        if self.weight_decay < 0:
            raise InputError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        if self.batch_size is not None and (int(self.batch_size) != self.batch_size or self.batch_size < 1):
            raise InputError(f"batch_size must be a positive integer or None (full batch), got {self.batch_size!r}")

    def _seed(self) -> int:
        rs = self.seed
        if rs is None:
            return int(np.random.default_rng().integers(0, 2**31 - 1))
        if isinstance(rs, np.random.Generator):
            return int(rs.integers(0, 2**31 - 1))
        return int(rs)

    # ---- training -----------------------------------------------------------------
    def _fit_arrays(self, X, T, sample_index, n_outputs):
        """Train on float arrays X (samples, ...) and targets T; returns self."""
        torch = _torch()
        self._check_params()
        t0 = time.perf_counter()
        Xin = self._as_input(X)
        feat_axes = tuple(range(Xin.ndim - 1))
        self.x_mean_ = Xin.mean(axis=feat_axes)
        sd = Xin.std(axis=feat_axes)
        self.x_scale_ = np.where(sd > 1e-8, sd, 1.0)
        self.validation_gap_ = resolve_validation_gap(self.validation_gap, X, sample_index, n_lags=self.n_lags)
        fit_pos, val_pos = self._split(len(Xin), T, sample_index)
        g = torch.Generator().manual_seed(self._seed())
        n_in = Xin.shape[-1] if self._kind != "mlp" else Xin.shape[1]
        self.module_ = _build_module(self._kind, n_in, n_outputs, int(self.hidden_size),
                                     int(self.n_layers), float(self.dropout), g)
        self._generator = g
        Xt = torch.as_tensor(((Xin - self.x_mean_) / self.x_scale_).astype(np.float32))
        Tt = torch.as_tensor(T)
        fit_t = torch.as_tensor(np.arange(len(Xin)) if fit_pos is None else fit_pos)
        val_t = None if val_pos is None else torch.as_tensor(val_pos)
        loss_fn = torch.nn.CrossEntropyLoss() if self._classifier else torch.nn.MSELoss()
        opt = AdamW(self.module_.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay))
        bs = len(fit_t) if self.batch_size is None else int(self.batch_size)
        best, best_state, bad = np.inf, None, 0
        self.history_ = []
        self.epoch_end_s_ = []  # wall time since fit start at the end of each epoch
        for epoch in range(int(self.max_epochs)):
            self.module_.train()
            order = fit_t[torch.randperm(len(fit_t), generator=g)]
            tot = 0.0
            for start in range(0, len(order), bs):
                b = order[start:start + bs]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(self.module_(Xt[b]), Tt[b])
                loss.backward()
                opt.step()
                tot += loss.item() * len(b)
            train_loss = tot / len(order)
            if val_t is None:
                self.history_.append((train_loss, float("nan")))
                self.epoch_end_s_.append(time.perf_counter() - t0)
                continue
            val_loss = self._loss_on(Xt[val_t], Tt[val_t], loss_fn)
            self.history_.append((train_loss, val_loss))
            self.epoch_end_s_.append(time.perf_counter() - t0)
            if not np.isfinite(best) or val_loss < best - 1e-6 * abs(best):
                best, bad, self.best_epoch_ = val_loss, 0, epoch
                best_state = {k: v.detach().clone() for k, v in self.module_.state_dict().items()}
            else:
                bad += 1
                if bad >= int(self.patience):
                    break
        if best_state is not None:
            self.module_.load_state_dict(best_state)
            self.best_val_loss_ = float(best)
        else:
            self.best_epoch_ = len(self.history_) - 1
            self.best_val_loss_ = float("nan")
        self.n_epochs_ = len(self.history_)
        self.module_.eval()
        self.fit_time_s_ = time.perf_counter() - t0
        return self

    def _split(self, n, T, sample_index):
        return validation_split(n, self.validation_fraction, self.validation_gap_, sample_index)

    def _loss_on(self, Xv, Tv, loss_fn, chunk=8192):
        torch = _torch()
        self.module_.eval()
        tot = 0.0
        with torch.no_grad():
            for s in range(0, len(Xv), chunk):
                tot += float(loss_fn(self.module_(Xv[s:s + chunk]), Tv[s:s + chunk])) * len(Xv[s:s + chunk])
        return tot / max(len(Xv), 1)

    def _forward(self, X, chunk=8192) -> np.ndarray:
        torch = _torch()
        Xin = self._as_input(X)
        if Xin.shape[1:] != self._input_shape:
            raise InputError(f"X has per-sample shape {Xin.shape[1:]}, but {type(self).__name__} was "
                             f"fitted on {self._input_shape}")
        Xt = torch.as_tensor(((Xin - self.x_mean_) / self.x_scale_).astype(np.float32))
        self.module_.eval()
        outs = []
        with torch.no_grad():
            for s in range(0, len(Xt), chunk):
                outs.append(self.module_(Xt[s:s + chunk]).numpy().astype(np.float64))
        return np.concatenate(outs) if outs else np.empty((0, self._n_outputs))

    def _extra_config(self) -> dict:
        return {"y_mean_": np.asarray(self.y_mean_).tolist(), "y_scale_": np.asarray(self.y_scale_).tolist(),
                "y_1d": bool(self._y_1d)}

    def _load_extra(self, cfg):
        self.y_mean_ = np.asarray(cfg["y_mean_"])
        self.y_scale_ = np.asarray(cfg["y_scale_"])
        self._y_1d = cfg["y_1d"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.seed is None
        return tags

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_generator", None)  # training-time RNG, not part of the fitted model
        return state


class _TorchRegressor(MultiOutputMixin, RegressorMixin, _TorchDecoder):
    def fit(self, X, y, sample_index=None):
        """Train with mini-batches and early stopping.

        Parameters
        ----------
        X : array_like, shape (samples, features) or (samples, lags, neurons)
            Spike-history design (see :func:`~neurodiscovery.decoding.lagged_design`).
            Recurrent decoders read 2-D input as ``n_lags`` lags of equal width.
        y : array_like, shape (samples,) or (samples, outputs)
        sample_index : array_like of int, optional
            Time index of each sample (places the validation block in contiguous time).
        """
        X, y, self._y_1d = validate_fit(self, X, y, allow_nd=self._kind != "mlp")
        self.y_mean_ = y.mean(axis=0)
        sd = y.std(axis=0)
        self.y_scale_ = np.where(sd > 1e-12, sd, 1.0)
        self._n_outputs = y.shape[1]
        self._input_shape = self._as_input(X).shape[1:]
        T = ((y - self.y_mean_) / self.y_scale_).astype(np.float32)
        return self._fit_arrays(X, T, sample_index, y.shape[1])

    def predict(self, X):
        """Predicted behaviour, shape (samples,) or (samples, outputs) like ``y`` in fit."""
        X = validate_predict(self, X, allow_nd=self._kind != "mlp")
        out = self._forward(X) * self.y_scale_ + self.y_mean_
        return restore_shape(out, self._y_1d)


# Parameters and attributes the four network decoders share; each class appends them, filled in, to its __doc__.
_NET_DOC = """

    Parameters
    ----------
    hidden_size : int            {hidden}
    n_layers : int               {layers}, dropout after each
    dropout : float              dropout probability, in [0, 1)
    lr : float                   AdamW learning rate
    weight_decay : float         AdamW decoupled weight decay
    batch_size : int or None     mini-batch size; None trains full batch
    max_epochs, patience : int   early stopping on the validation loss
    validation_fraction : float  share of the training samples held out for early stopping ({validation})
    validation_gap : int or "auto"
        {gap}
    n_lags : int                 {n_lags}
    seed : int, Generator or None
        Seeds {seeded} (default 0; None: not reproducible).

    Attributes
    ----------
    module_ : torch.nn.Module
    history_ : list of (train_loss, val_loss) per epoch (standardised units)
    epoch_end_s_ : list of float, seconds since the start of fit at the end of each epoch
    best_epoch_, n_epochs_, best_val_loss_, fit_time_s_
    validation_gap_ : int        the gap used (``validation_gap`` resolved){attrs}
"""
_REGRESSION = dict(
    validation="a block from the end", seeded="weights, batch order and dropout", attrs="",
    gap="Samples dropped between fit and validation samples; ``\"auto\"`` (default): the spike-history window's "
        "length (``n_lags`` if > 1, the lags of a 3-D input, else read from the lag-major design by "
        ":func:`~neurodiscovery.decoding.infer_n_lags`), so no fit window shares a bin with a validation window.")
_RNN = dict(_REGRESSION, hidden="size of each {0} layer's state", layers="stacked {0} layers",
            n_lags="lags a flat ``(samples, lags * neurons)`` input is split into (3-D input needs none)")


class MLPDecoder(_TorchRegressor):
    """Feedforward network decoder (flat spike-history input)."""

    __doc__ = (__doc__ or "") + _NET_DOC.format(hidden="units per hidden layer", layers="hidden layers (ReLU)",
                                                n_lags="lags of a flat input (the auto ``validation_gap`` uses it)", **_REGRESSION)

    _kind = "mlp"

    def __init__(self, hidden_size=128, n_layers=2, dropout=0.2, lr=1e-3, weight_decay=1e-4,
                 batch_size=128, max_epochs=200, patience=10, validation_fraction=0.2,
                 validation_gap="auto", n_lags=1, seed=0):
        super().__init__(hidden_size=hidden_size, n_layers=n_layers, dropout=dropout, lr=lr,
                         weight_decay=weight_decay, batch_size=batch_size, max_epochs=max_epochs,
                         patience=patience, validation_fraction=validation_fraction,
                         validation_gap=validation_gap, n_lags=n_lags, seed=seed)


class GRUDecoder(_TorchRegressor):
    """GRU decoder over the spike-history sequence (read-out from the state after the last bin)."""

    __doc__ = (__doc__ or "") + _NET_DOC.format(**{k: v.format("GRU") for k, v in _RNN.items()})

    _kind = "gru"

    def __init__(self, hidden_size=64, n_layers=1, dropout=0.1, lr=3e-3, weight_decay=1e-4,
                 batch_size=128, max_epochs=200, patience=10, validation_fraction=0.2,
                 validation_gap="auto", n_lags=1, seed=0):
        super().__init__(hidden_size=hidden_size, n_layers=n_layers, dropout=dropout, lr=lr,
                         weight_decay=weight_decay, batch_size=batch_size, max_epochs=max_epochs,
                         patience=patience, validation_fraction=validation_fraction,
                         validation_gap=validation_gap, n_lags=n_lags, seed=seed)


class LSTMDecoder(_TorchRegressor):
    """LSTM decoder over the spike-history sequence (read-out from the state after the last bin)."""

    __doc__ = (__doc__ or "") + _NET_DOC.format(**{k: v.format("LSTM") for k, v in _RNN.items()})

    _kind = "lstm"

    def __init__(self, hidden_size=64, n_layers=1, dropout=0.1, lr=3e-3, weight_decay=1e-4,
                 batch_size=128, max_epochs=200, patience=10, validation_fraction=0.2,
                 validation_gap="auto", n_lags=1, seed=0):
        super().__init__(hidden_size=hidden_size, n_layers=n_layers, dropout=dropout, lr=lr,
                         weight_decay=weight_decay, batch_size=batch_size, max_epochs=max_epochs,
                         patience=patience, validation_fraction=validation_fraction,
                         validation_gap=validation_gap, n_lags=n_lags, seed=seed)


class MLPClassifierDecoder(ClassifierMixin, _TorchDecoder):
    """Feedforward network classifier for trial conditions (cross-entropy, early stopping).

    Trials are exchangeable, so the validation set is a stratified random
    ``validation_fraction`` of the training trials (drawn from ``seed``), not a
    trailing block.
    """

    __doc__ = (__doc__ or "") + _NET_DOC.format(
        hidden="units per hidden layer", layers="hidden layers (ReLU)",
        validation="stratified random trials; none below 20 trials or with a class too rare to split",
        gap="Unused: trials are exchangeable (kept for the shared interface).",
        n_lags="unused by a feedforward classifier (shared interface)",
        seeded="the validation split, weights, batch order and dropout",
        attrs="\n    classes_ : ndarray, shape (classes,)  the class labels, in ``predict_proba`` column order")

    _kind = "mlp"
    _classifier = True

    def __init__(self, hidden_size=64, n_layers=1, dropout=0.2, lr=1e-3, weight_decay=1e-3,
                 batch_size=64, max_epochs=300, patience=20, validation_fraction=0.2,
                 validation_gap=0, n_lags=1, seed=0):
        super().__init__(hidden_size=hidden_size, n_layers=n_layers, dropout=dropout, lr=lr,
                         weight_decay=weight_decay, batch_size=batch_size, max_epochs=max_epochs,
                         patience=patience, validation_fraction=validation_fraction,
                         validation_gap=validation_gap, n_lags=n_lags, seed=seed)

    def _split(self, n, T, sample_index):
        from sklearn.model_selection import train_test_split

        labels = np.asarray(T)
        _, counts = np.unique(labels, return_counts=True)
        n_val = int(round(self.validation_fraction * n))
        if n < 20 or counts.min() < 2 or n_val < len(counts):
            return None, None
        fit_pos, val_pos = train_test_split(np.arange(n), test_size=n_val, stratify=labels,
                                            random_state=self._seed() % (2**31 - 1))
        return np.sort(fit_pos), np.sort(val_pos)

    def fit(self, X, y):
        """Train on ``X`` (trials, features) and class labels ``y`` (trials,)."""
        from sklearn.utils.multiclass import check_classification_targets

        X, y, _ = validate_fit(self, X, y, y_numeric=False, multi_output=False)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError(f"classification target has only one class ({self.classes_[0]!r}); "
                             "need at least 2 classes to train a classifier")
        self._n_outputs = len(self.classes_)
        self._input_shape = self._as_input(X).shape[1:]
        self._y_1d = True
        import torch

        return self._fit_arrays(X, torch.as_tensor(codes.astype(np.int64)).numpy(), None,
                                len(self.classes_))

    def predict_proba(self, X):
        """Class probabilities ``(trials, classes)`` in ``classes_`` order, for features ``X (trials, features)``."""
        X = validate_predict(self, X)
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted class label per row of ``X (samples, features)``."""
        proba = self.predict_proba(X)  # checks fitted state first
        return self.classes_[np.argmax(proba, axis=1)]

    def _extra_config(self) -> dict:
        return {"classes_": self.classes_.tolist()}

    def _load_extra(self, cfg):
        self.classes_ = np.asarray(cfg["classes_"])

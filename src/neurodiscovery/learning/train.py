"""Mini-batch training of an MLP classifier with any learning rule (scikit-learn contract)."""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .._utils.errors import InputError
from .._utils.validation import check_array, check_positive, check_same_length
from .network import MLP
from .rules import backprop_gradients, make_rule


@dataclass(frozen=True)
class TrainingHistory:
    """What happened during training.

    Attributes
    ----------
    train_loss : ndarray, shape (epochs,)
        Mean mini-batch loss (clean forward pass) in each epoch.
    val_accuracy : ndarray, shape (epochs,)
        Accuracy on the validation set after each epoch (NaN without one).
    alignment_step : ndarray, shape (checks,)
        Optimiser step at which the alignment was measured.
    alignment_rad : ndarray, shape (checks, layers)
        Angle (radians) between the rule's weight update and the true gradient of the
        same mini-batch, per layer (first hidden layer first, readout last).
    """

    train_loss: np.ndarray
    val_accuracy: np.ndarray
    alignment_step: np.ndarray
    alignment_rad: np.ndarray


def angle_rad(a: np.ndarray, b: np.ndarray) -> float:
    """Angle between two arrays seen as vectors (radians); NaN if either is zero.

    Parameters
    ----------
    a, b : ndarray
        Arrays of the same size (any shape; flattened).

    Returns
    -------
    float
    """
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return float("nan")
    return float(np.arccos(np.clip(np.vdot(a, b) / (na * nb), -1.0, 1.0)))


def one_hot(y_index: np.ndarray, n_classes: int) -> np.ndarray:
    """One-hot targets ``(samples, n_classes)`` from class indices ``(samples,)``."""
    out = np.zeros((len(y_index), n_classes))
    out[np.arange(len(y_index)), y_index] = 1.0
    return out


class LearningRuleClassifier:
    """MLP classifier trained by backprop or a brain-inspired rule.

    Parameters
    ----------
    rule : str or rule object
        ``"backprop"``, ``"fa"``, ``"dfa"``, ``"three_factor"`` or ``"frozen"``
        (see :mod:`neurodiscovery.learning.rules` for the signals each uses).
    hidden_sizes : tuple of int
        Hidden-layer widths (any depth).
    activation : {"tanh", "relu"}
    learning_rate : float
        SGD step size (> 0).
    n_epochs : int
        Passes over the training set.
    batch_size : int
    momentum : float
        Heavy-ball momentum in [0, 1), the same for every rule.
    noise_sd : float
        Perturbation SD of the three-factor rule (ignored by the others).
    alignment_every : int
        Measure the update/gradient angle every this many steps (0: never).
    seed : int
        Seeds weights, feedback matrices, batch order and perturbations.

    Attributes
    ----------
    classes_ : ndarray
    net_ : MLP
        Weights after training; with a validation set, those of the best validation epoch.
    best_epoch_ : int
        1-based epoch whose weights were kept (``n_epochs`` without a validation set).
    history_ : TrainingHistory
    fit_time_s_ : float
        Wall time of :meth:`fit`.
    """

    def __init__(self, rule="backprop", hidden_sizes=(128,), activation: str = "tanh",
                 learning_rate: float = 0.05, n_epochs: int = 50, batch_size: int = 32,
                 momentum: float = 0.9, noise_sd: float = 0.05, alignment_every: int = 50,
                 seed: int = 0):
        self.rule = rule
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.momentum = momentum
        self.noise_sd = noise_sd
        self.alignment_every = alignment_every
        self.seed = seed

    def get_params(self, deep: bool = True) -> dict:
        """Constructor parameters (scikit-learn convention; ``deep`` is accepted and ignored)."""
        return {k: getattr(self, k) for k in ("rule", "hidden_sizes", "activation", "learning_rate",
                                               "n_epochs", "batch_size", "momentum", "noise_sd",
                                               "alignment_every", "seed")}

    def set_params(self, **params) -> LearningRuleClassifier:
        """Set constructor parameters; returns self."""
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def _check(self, X, y):
        X = check_array(X, "X (samples, features)", ndim=2, min_len=2)
        y = np.asarray(y)
        if y.ndim != 1:
            raise InputError(f"y: expected one label per sample (1-D), got shape {y.shape}")
        check_same_length(X, y, "X", "y")
        return X, y

    def _validate_params(self):
        check_positive(self.learning_rate, "learning_rate")
        if int(self.n_epochs) < 1 or int(self.batch_size) < 1:
            raise InputError(f"n_epochs and batch_size must be >= 1, got {self.n_epochs}, {self.batch_size}")
        if not 0 <= float(self.momentum) < 1:
            raise InputError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if any(int(h) < 1 for h in self.hidden_sizes):
            raise InputError(f"hidden_sizes must all be >= 1, got {self.hidden_sizes}")

    def fit(self, X, y, X_val=None, y_val=None) -> LearningRuleClassifier:
        """Train on ``X (samples, features)``, integer or string labels ``y (samples,)``.

        ``X_val (samples, features)`` and ``y_val (samples,)``: optional validation data.

        With ``X_val, y_val`` the weights of the epoch with the best validation accuracy
        are kept (epochs chosen on validation data, never on test data).
        """
        self._validate_params()
        X, y = self._check(X, y)
        self.classes_, yi = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise InputError("y has a single class; a classifier needs at least two")
        has_val = X_val is not None
        if has_val:
            X_val, y_val = self._check(X_val, y_val)
            if X_val.shape[1] != X.shape[1]:
                raise InputError(f"X_val has {X_val.shape[1]} features but X has {X.shape[1]}")
        rng = np.random.default_rng(self.seed)
        rule = make_rule(self.rule)
        if rule.name == "three_factor" and isinstance(self.rule, str):
            rule.noise_sd = float(self.noise_sd)
        sizes = [X.shape[1], *[int(h) for h in self.hidden_sizes], len(self.classes_)]
        net = MLP.init(sizes, self.activation, "softmax", seed=int(rng.integers(2 ** 31)), dtype=np.float32)
        rule.setup(net, rng)
        if hasattr(rule, "feedback_"):
            rule.feedback_ = [b.astype(np.float32) for b in rule.feedback_]
        self.rule_ = rule
        t0 = time.perf_counter()
        X32 = X.astype(np.float32)
        T = one_hot(yi, len(self.classes_)).astype(np.float32)
        Xv32 = X_val.astype(np.float32) if has_val else None
        self.net_, self.history_, self.best_epoch_ = self._train(net, rule, X32, T, Xv32, y_val, has_val, rng)
        self.fit_time_s_ = time.perf_counter() - t0
        return self

    def _train(self, net, rule, X, T, X_val, y_val, has_val, rng):
        lr, mom, bs = float(self.learning_rate), float(self.momentum), int(self.batch_size)
        vel_w = [np.zeros_like(w) for w in net.weights]
        vel_b = [np.zeros_like(b) for b in net.biases]
        losses, val_acc, al_step, al_rad = [], [], [], []
        best, best_net, best_epoch, step = -np.inf, net.copy(), int(self.n_epochs), 0
        for epoch in range(int(self.n_epochs)):
            order = rng.permutation(len(X))
            batch_losses = []
            for start in range(0, len(X), bs):
                idx = order[start:start + bs]
                gw, gb, loss = rule.gradients(net, X[idx], T[idx], rng)
                if not np.isfinite(loss):
                    raise InputError(f"training diverged (loss {loss}) with learning_rate={lr}; "
                                     "use a smaller learning rate")
                if self.alignment_every and step % int(self.alignment_every) == 0:
                    true_w, _, _ = backprop_gradients(net, X[idx], T[idx])
                    al_step.append(step)
                    al_rad.append([angle_rad(g, t) for g, t in zip(gw, true_w)])
                for layer in range(net.n_layers):
                    vel_w[layer] = mom * vel_w[layer] - lr * gw[layer]
                    vel_b[layer] = mom * vel_b[layer] - lr * gb[layer]
                    net.weights[layer] += vel_w[layer]
                    net.biases[layer] += vel_b[layer]
                if not all(np.isfinite(w).all() for w in net.weights):
                    raise InputError(f"training diverged (weights overflowed) with learning_rate={lr}; "
                                     "use a smaller learning rate")
                batch_losses.append(loss)
                step += 1
            losses.append(float(np.mean(batch_losses)))
            if has_val:
                acc = float(np.mean(self.classes_[net.predict_proba(X_val).argmax(1)] == y_val))
                val_acc.append(acc)
                if acc > best:
                    best, best_net, best_epoch = acc, net.copy(), epoch + 1
            else:
                val_acc.append(np.nan)
        if not has_val:
            best_net = net
        hist = TrainingHistory(np.array(losses), np.array(val_acc), np.array(al_step, dtype=int),
                               np.array(al_rad).reshape(len(al_step), net.n_layers))
        return best_net, hist, best_epoch

    def _fitted(self):
        if not hasattr(self, "net_"):
            raise InputError("this LearningRuleClassifier is not fitted yet; call fit(X, y) first")

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities ``(samples, classes)`` of ``X (samples, features)``."""
        self._fitted()
        X = check_array(X, "X (samples, features)", ndim=2)
        if X.shape[1] != self.net_.sizes[0]:
            raise InputError(f"X has {X.shape[1]} features; the network was trained on {self.net_.sizes[0]}")
        return self.net_.predict_proba(X.astype(self.net_.weights[0].dtype)).astype(float)

    def predict(self, X) -> np.ndarray:
        """Predicted labels ``(samples,)`` of ``X (samples, features)``."""
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def score(self, X, y) -> float:
        """Accuracy (fraction correct) on ``X (samples, features)`` with labels ``y (samples,)``."""
        X, y = self._check(X, y)
        return float(np.mean(self.predict(X) == y))

"""Training a :class:`~.model.UNet` on EM slices: losses, validation, LR schedule (data in :mod:`.augment`)."""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..._utils.errors import InputError
from ..._utils.random import as_rng, derive_seed
from ..._utils.runtime import thread_limits
from .augment import (  # noqa: F401  (re-exported: the training API)
    affinity_target,
    augment_pair,
    boundary_target,
    elastic_deform,
    normalize_raw,
)
from .model import UNet, UNetConfig

_LOSSES = ("dice_bce", "balanced_bce")


# --------------------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------------------
def loss_fn(logits, target, kind: str = "dice_bce"):
    """Segmentation loss on logits.

    ``"dice_bce"``: BCE + (1 - soft Dice) on the boundary class; ``"balanced_bce"``: BCE
    with each class weighted by the inverse of its frequency in the batch (membranes are
    ~22 % of ISBI pixels, so plain BCE under-weights them).
    """
    import torch
    import torch.nn.functional as F

    if kind == "dice_bce":
        bce = F.binary_cross_entropy_with_logits(logits, target)
        p = torch.sigmoid(logits)
        inter = (p * target).sum()
        dice = (2 * inter + 1.0) / (p.sum() + target.sum() + 1.0)
        return bce + (1 - dice)
    if kind == "balanced_bce":
        pos = target.mean().clamp(1e-3, 1 - 1e-3)
        w = torch.where(target > 0.5, 0.5 / pos, 0.5 / (1 - pos))
        return F.binary_cross_entropy_with_logits(logits, target, weight=w)
    raise InputError(f"loss must be one of {_LOSSES}, got {kind!r}")


# --------------------------------------------------------------------------------------
# training loop
# --------------------------------------------------------------------------------------
def _one_cycle_lr(frac: float, peak: float, warmup: float = 0.05) -> float:
    frac = min(max(frac, 0.0), 1.0)
    if frac < warmup:
        return peak * (0.1 + 0.9 * frac / warmup)
    t = (frac - warmup) / (1 - warmup)
    return peak * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t)))


@dataclass
class TrainConfig:
    """Training hyper-parameters (all recorded in the run folder).

    Parameters
    ----------
    n_iter : int
        Optimiser steps (the LR schedule spans them).
    batch_size, patch_px : int
        Random crops per step and their in-plane side length in pixels.
    patch_z : int
        Sections per crop (3D models only).
    elastic_p : float
        Probability (fraction of crops) of an elastic deformation.
    lr : float
        Peak learning rate of the one-cycle schedule (AdamW).
    weight_decay : float
    loss : {"dice_bce", "balanced_bce"}
    val_every : int
        Steps between validation passes; the checkpoint with the lowest validation
        loss is kept.
    time_limit_s : float
        Training budget in seconds of ``budget_clock``; training stops early (keeping
        the best model, with the LR schedule compressed to end annealed) when exceeded.
    n_threads : int
        torch intra-op threads.
    budget_clock : {"wall", "cpu"}
        ``"wall"``: wall-clock seconds. ``"cpu"``: this process's CPU seconds divided by
        ``n_threads``, i.e. the wall time the run would take on ``n_threads`` dedicated
        cores -- the fair budget on a machine shared with other jobs (spin-waiting
        under contention still counts, so it is conservative).
    max_wall_s : float, optional
        Hard wall-clock cap on top of ``time_limit_s`` (useful with ``budget_clock="cpu"``
        when other jobs leave this process only a fraction of the cores).
    """

    n_iter: int = 1500
    batch_size: int = 4
    patch_px: int = 192
    lr: float = 3e-3
    weight_decay: float = 1e-4
    loss: str = "dice_bce"
    val_every: int = 100
    time_limit_s: float = 900.0
    n_threads: int = 2
    elastic_p: float = 0.5
    patch_z: int = 8
    budget_clock: str = "wall"
    max_wall_s: float | None = None


def _check_training_inputs(raw, labels, mc: UNetConfig, tc: TrainConfig) -> None:
    if raw.ndim != 3 or labels.shape != raw.shape:
        raise InputError(f"raw and labels must both be (n_slices, y, x) of equal shape, got "
                         f"{raw.shape} and {labels.shape}")
    div = mc.divisor
    if tc.patch_px % div[-1] or tc.patch_px > min(raw.shape[1:]):
        raise InputError(f"patch_px={tc.patch_px} must be a multiple of {div[-1]} and <= the "
                         "slice size")
    if mc.ndim == 3 and (tc.patch_z % div[0] or tc.patch_z > raw.shape[0]):
        raise InputError(f"patch_z={tc.patch_z} must be a multiple of {div[0]} and <= the "
                         f"number of sections ({raw.shape[0]})")
    if tc.budget_clock not in ("wall", "cpu"):
        raise InputError(f"budget_clock must be 'wall' or 'cpu', got {tc.budget_clock!r}")
    if tc.loss not in _LOSSES:
        raise InputError(f"loss must be one of {_LOSSES}, got {tc.loss!r}")


def _make_target(lab: np.ndarray, mc: UNetConfig) -> np.ndarray:
    """(C, *spatial) target of one crop (2D slice or 3D stack)."""
    if mc.target == "boundary":
        return boundary_target(lab)[None]
    from .instances import label_interior  # local: instances imports nothing from here

    return affinity_target(label_interior(lab, per_slice=False), mc.ndim)


def _validation_items(val_raw, val_labels, mc: UNetConfig) -> list[tuple]:
    """Whole validation slices (2D) or the whole stack (3D), padded so poolings are exact;
    the loss is taken on the unpadded region only.
    """
    import torch

    if val_raw is None or val_labels is None or len(val_raw) == 0:
        return []
    vr = normalize_raw(np.asarray(val_raw))
    vl = np.asarray(val_labels)
    if vr.ndim != 3 or vl.shape != vr.shape:
        raise InputError(f"val_raw and val_labels must be (n, y, x) of equal shape, got "
                         f"{vr.shape} and {vl.shape}")
    items = []
    chunks = [(vr[i], vl[i]) for i in range(len(vr))] if mc.ndim == 2 else [(vr, vl)]
    for xr, yl in chunks:
        pads = [(0, (-n) % d) for n, d in zip(xr.shape, mc.divisor)]
        mode = "reflect" if all(p[1] < n for p, n in zip(pads, xr.shape)) else "edge"
        xp = np.pad(xr, pads, mode=mode)
        items.append((torch.from_numpy(xp[None, None].copy()),
                      torch.from_numpy(_make_target(yl, mc)[None]), xr.shape))
    return items


def _sample_batch(x_all, labels, mc: UNetConfig, tc: TrainConfig, rng):
    """One batch of augmented random crops: (inputs, targets) tensors."""
    import torch

    P = tc.patch_px
    xs, ys = [], []
    for _ in range(tc.batch_size):
        if mc.ndim == 2:
            zs = int(rng.integers(len(x_all)))
        else:
            s = int(rng.integers(labels.shape[0] - tc.patch_z + 1))
            zs = slice(s, s + tc.patch_z)
        y0 = int(rng.integers(labels.shape[1] - P + 1))
        x0 = int(rng.integers(labels.shape[2] - P + 1))
        a, b = augment_pair(x_all[zs, y0:y0 + P, x0:x0 + P], labels[zs, y0:y0 + P, x0:x0 + P],
                            rng, tc.elastic_p)
        xs.append(a)
        ys.append(_make_target(b, mc))
    return torch.from_numpy(np.stack(xs)[:, None]), torch.from_numpy(np.stack(ys))


def _train_step(model, opt, lr: float, xb, yb, loss: str) -> float:
    """One optimiser step at learning rate ``lr``; returns the batch loss."""
    for g in opt.param_groups:
        g["lr"] = lr
    model.train()
    value = loss_fn(model(xb), yb, loss)
    opt.zero_grad(set_to_none=True)
    value.backward()
    opt.step()
    return float(value.detach())


def _validation_loss(model, items, mc: UNetConfig, loss: str) -> float:
    import torch

    model.eval()
    with torch.inference_mode():
        total = 0.0
        for xin, yt, shp in items:
            out = model(xin)[(Ellipsis,) + tuple(slice(0, n) for n in shp[-mc.ndim:])]
            total += float(loss_fn(out, yt, loss))
    return total / len(items)


def _budget_clock(tc: TrainConfig):
    """The clock ``time_limit_s`` is measured on: wall time, or process CPU time per thread."""
    if tc.budget_clock == "wall":
        return time.perf_counter
    return lambda: time.process_time() / max(tc.n_threads, 1)


def _record_validation(model, rec: dict, history: dict, log, best: tuple) -> tuple:
    """Log one validation pass; keep a copy of the weights when it is the best so far."""
    history["val"].append(rec)
    if log is not None:
        log(rec)
    if rec["val_loss"] < best[0]:
        return rec["val_loss"], {k: v.detach().clone() for k, v in model.state_dict().items()}, rec["iter"]
    return best


def train_unet(raw: np.ndarray, labels: np.ndarray, val_raw: np.ndarray | None = None,
               val_labels: np.ndarray | None = None, model_config: UNetConfig | None = None,
               train_config: TrainConfig | None = None, seed: int | np.random.Generator | None = 0,
               progress: bool = True, log=None) -> tuple[UNet, dict[str, Any]]:
    """Train a 2D U-Net on EM slices, or a 3D (anisotropic) U-Net on a section stack.

    Parameters
    ----------
    raw : ndarray (n_slices, y, x) uint8 or float
        Training images (2D model: independent slices; 3D model: one aligned stack).
    labels : ndarray (n_slices, y, x) int
        0 = membrane, > 0 = interior (binary or instance ids).
    val_raw, val_labels : ndarray (n_val, y, x), optional
        Validation slices; the model with the lowest validation loss is returned.
    model_config, train_config : optional
    seed : int or Generator
        Seeds numpy (crops, augmentation) and torch (initialisation).
    progress : bool
        Show a tqdm bar.
    log : callable, optional
        Called with one dict per validation pass.

    Returns
    -------
    model : UNet (eval mode)
    history : dict with ``train_loss``, ``val`` (list of dicts), timing and configs.
    """
    import torch
    from tqdm.auto import tqdm

    mc = model_config or UNetConfig()
    tc = train_config or TrainConfig()
    raw, labels = np.asarray(raw), np.asarray(labels)
    _check_training_inputs(raw, labels, mc, tc)

    clock = _budget_clock(tc)
    rng = as_rng(seed)
    torch.manual_seed(derive_seed(rng))
    with thread_limits(tc.n_threads):  # the caller's torch/BLAS threads are restored afterwards
        x_all = normalize_raw(raw)
        model = UNet(mc)
        opt = torch.optim.AdamW(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
        val_items = _validation_items(val_raw, val_labels, mc)
        history: dict[str, Any] = {"train_loss": [], "val": [], "model_config": asdict(mc),
                                   "train_config": asdict(tc)}
        best = (math.inf, None, -1)
        t0, c0, cpu0 = time.perf_counter(), clock(), time.process_time()
        bar = tqdm(range(tc.n_iter), disable=not progress, desc="train U-Net", mininterval=2)
        running = None
        for it in bar:
            # One-cycle schedule (linear warm-up, cosine decay to 1 % of the peak) driven by
            # whichever runs out first, steps or wall-clock time, so a training run cut short
            # by ``time_limit_s`` still ends annealed instead of at a high learning rate.
            frac = max(it / tc.n_iter, (clock() - c0) / tc.time_limit_s,
                       (time.perf_counter() - t0) / (tc.max_wall_s or math.inf))
            lr = _one_cycle_lr(frac, tc.lr)
            lv = _train_step(model, opt, lr, *_sample_batch(x_all, labels, mc, tc, rng), tc.loss)
            history["train_loss"].append(lv)
            running = lv if running is None else 0.95 * running + 0.05 * lv
            bar.set_postfix(loss=f"{running:.4f}")
            elapsed, spent = time.perf_counter() - t0, clock() - c0
            out_of_time = spent > tc.time_limit_s or elapsed > (tc.max_wall_s or math.inf)
            if val_items and ((it + 1) % tc.val_every == 0 or it == tc.n_iter - 1 or out_of_time):
                rec = {"iter": it + 1, "val_loss": _validation_loss(model, val_items, mc, tc.loss),
                       "train_loss_ema": running, "elapsed_s": elapsed, "budget_spent_s": spent, "lr": lr}
                best = _record_validation(model, rec, history, log, best)
            if out_of_time:
                history["stopped_by_time_limit"] = True
                break
        bar.close()
        history.update(train_time_s=time.perf_counter() - t0, train_cpu_s=time.process_time() - cpu0,
                       budget_spent_s=clock() - c0, n_iter_done=len(history["train_loss"]))
        if best[1] is not None:
            model.load_state_dict(best[1])
            history.update(best_iter=best[2], best_val_loss=best[0])
        model.eval()
        return model, history

"""Simulate an observer's responses on its default experiment from chosen parameters."""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError
from .data import TrialTable
from .fitting import get_model


def simulate_observer(model: str, params: dict | None = None, *, n_trials: int = 400, seed: int = 0,
                      **model_options) -> tuple[TrialTable, dict]:
    """Responses of ``model`` on its default experiment.

    Parameters
    ----------
    model : str
        Observer model name.
    params : dict of str to float, optional
        Parameter values by name (see the model's parameters); missing ones are drawn from
        the model's plausible range with ``seed``.
    n_trials : int
        Trials per condition (per level for the psychometric model; steps per sequence for
        the Kalman observer).
    seed : int
    **model_options
        ``kind``/``task`` of the psychometric model.

    Returns
    -------
    table : TrialTable
        The simulated trials.
    params : dict
        The parameters used (given and drawn).
    """
    if int(n_trials) < 1:
        raise InputError(f"n_trials must be >= 1, got {n_trials!r}")
    m = get_model(model, **model_options)
    rng = np.random.default_rng(seed)
    table = m.default_design(n_trials, seed=seed)
    design = m.prepare(table)
    specs = m.params(design)
    names = [p.name for p in specs]
    unknown = sorted(set(params or {}) - set(names))
    if unknown:
        raise InputError(f"unknown parameter(s) {', '.join(unknown)} for the {m.name} model; it has "
                         f"{', '.join(names)}")
    theta = m.sample_params(design, rng)
    for i, p in enumerate(specs):
        if params and p.name in params:
            v = float(params[p.name])
            ok = np.isfinite(v) and (p.domain == "real" or (p.domain == "positive" and v > 0)
                                     or (p.domain == "interval" and p.low <= v <= p.high))
            if not ok:
                raise InputError(f"parameter {p.name}={params[p.name]!r} is outside its domain ({p.domain}"
                                 + (f" [{p.low}, {p.high}]" if p.domain == "interval" else "") + ")")
            theta[i] = v
    return table.with_response(m.simulate(theta, design, rng)), dict(zip(names, map(float, theta)))

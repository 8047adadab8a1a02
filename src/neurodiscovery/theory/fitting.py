"""Maximum-likelihood fitting of observer models, uncertainty and model comparison.

Parameters are optimised in an unconstrained space (log for SDs, logit onto an interval
for rates), from several random starts plus one data-driven start, with L-BFGS-B.
Standard errors come from the numerical Hessian of the log-likelihood at the optimum
(delta method back to natural units); confidence intervals from a parametric bootstrap
(simulate from the fit, refit). Models are compared by AIC, BIC and cross-validated
log-likelihood on held-out trials (held-out sequences for the Kalman observer).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from .._utils.errors import InputError
from .data import TrialTable
from .observers import CueCombination, GaussianObserver, KalmanObserverModel
from .profile import at_bound, profile_intervals
from .psychometric import PsychometricModel

MODELS = ("gaussian", "cue-combination", "cue-equal", "kalman", "psychometric")


def get_model(name: str, **options):
    """Observer model by name (``options`` go to the psychometric model: ``kind``, ``task``).

    Parameters
    ----------
    name : str
        ``gaussian``, ``cue-combination``, ``cue-equal``, ``kalman`` or ``psychometric``.
    **options
        Model options.

    Returns
    -------
    observer model
    """
    factories = {"gaussian": GaussianObserver, "cue-combination": lambda: CueCombination("optimal"),
                 "cue-equal": lambda: CueCombination("equal"), "kalman": KalmanObserverModel,
                 "psychometric": lambda: PsychometricModel(**options)}
    if name not in factories:
        raise InputError(f"unknown observer model {name!r}; choose one of {', '.join(MODELS)}")
    if options and name != "psychometric":
        raise InputError(f"options {sorted(options)} apply only to the psychometric model, not {name!r}")
    return factories[name]()


def _to_free(theta, specs):
    out = []
    for v, p in zip(theta, specs):
        if p.domain == "real":
            out.append(v)
        elif p.domain == "positive":
            out.append(np.log(v))
        else:
            u = np.clip((v - p.low) / (p.high - p.low), 1e-6, 1 - 1e-6)
            out.append(special.logit(u))
    return np.array(out, float)


def _from_free(z, specs):
    out = []
    for v, p in zip(z, specs):
        if p.domain == "real":
            out.append(v)
        elif p.domain == "positive":
            out.append(np.exp(np.clip(v, -30, 30)))
        else:
            out.append(p.low + (p.high - p.low) * special.expit(v))
    return np.array(out, float)


@dataclass(frozen=True)
class ObserverFit:
    """A fitted observer model.

    Attributes
    ----------
    model : str
    params : dict of str to float
        Maximum-likelihood estimates (natural units).
    se : dict of str to float
        Standard errors from the observed information (NaN where the Hessian is singular:
        the parameter is not identifiable from these data).
    ci : dict of str to tuple, or None
        95 % parametric-bootstrap intervals (None without a bootstrap).
    loglik : float
        Maximised log-likelihood (natural log).
    n_params, n_trials : int
    aic, bic : float
    profile_ci : dict of str to tuple, or None
        95 % profile-likelihood intervals (natural units; an end at the domain's bound where the
        data cannot exclude it, e.g. 0 for an SD), see :mod:`.profile`.
    at_bound : dict of str to bool
        Estimates at the edge of their domain (an SD below 1e-3 x the response SD, a rate within
        1e-3 of its limit): Hessian SEs and bootstrap intervals are meaningless there.
    """

    model: str
    params: dict
    se: dict
    ci: dict | None
    loglik: float
    n_params: int
    n_trials: int
    aic: float
    bic: float
    profile_ci: dict | None = None
    at_bound: dict = None  # type: ignore[assignment]


def _check_fit_inputs(model, design, data: TrialTable):
    specs = model.params(design)
    if data.n_trials <= len(specs):
        raise InputError(f"{data.n_trials} trials cannot constrain {len(specs)} parameters of the "
                         f"{model.name} model; collect more trials")
    return specs


def _maximise(model, design, specs, starts):
    def nll(z):
        val = -model.loglik(_from_free(z, specs), design)
        return val if np.isfinite(val) else 1e300

    best = None
    for z0 in starts:
        res = optimize.minimize(nll, z0, method="L-BFGS-B")
        if best is None or res.fun < best.fun:
            best = res
    return _from_free(best.x, specs), -float(best.fun), best.x


def _interior(z, specs):
    return np.array([np.clip(v, -5, 5) if p.domain == "interval" else v for v, p in zip(z, specs)])


def _hessian_se(model, design, specs, z_hat) -> np.ndarray:
    """SEs in natural units from a central-difference Hessian in the free space."""
    k = len(z_hat)
    h = 1e-4 * np.maximum(1.0, np.abs(z_hat))

    def f(z):
        return model.loglik(_from_free(z, specs), design)

    H = np.empty((k, k))
    f0 = f(z_hat)
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h[i], np.eye(k)[j] * h[j]
            if i == j:
                H[i, i] = (f(z_hat + ei) - 2 * f0 + f(z_hat - ei)) / h[i] ** 2
            else:
                H[i, j] = H[j, i] = (f(z_hat + ei + ej) - f(z_hat + ei - ej) - f(z_hat - ei + ej)
                                     + f(z_hat - ei - ej)) / (4 * h[i] * h[j])
    try:
        cov = np.linalg.inv(-H)
    except np.linalg.LinAlgError:
        return np.full(k, np.nan)
    d = np.diag(cov)
    jac = (_from_free(z_hat + h, specs) - _from_free(z_hat - h, specs)) / (2 * h)  # diagonal Jacobian
    return np.where(d > 0, np.sqrt(np.abs(d)) * np.abs(jac), np.nan)


def fit_observer(data: TrialTable, model: str = "gaussian", *, n_starts: int = 5, n_bootstrap: int = 0,
                 seed: int = 0, profile: bool = False, **model_options) -> ObserverFit:
    """Fit an observer model to behaviour by maximum likelihood.

    Parameters
    ----------
    data : TrialTable
        Trials (see :mod:`neurodiscovery.theory.data` for the CSV layout).
    model : str
        One of ``gaussian``, ``cue-combination``, ``cue-equal``, ``kalman``, ``psychometric``.
    n_starts : int
        Random starting points (>= 1) besides the model's data-driven start.
    n_bootstrap : int
        Parametric-bootstrap refits for 95 % intervals (0: none; >= 50 recommended).
    seed : int
    profile : bool
        Also compute 95 % profile-likelihood intervals (bound-respecting; see :mod:`.profile`).
    **model_options
        ``kind`` and ``task`` for the psychometric model.

    Returns
    -------
    ObserverFit
    """
    if int(n_starts) < 1 or int(n_bootstrap) < 0:
        raise InputError("n_starts must be >= 1 and n_bootstrap >= 0")
    m = get_model(model, **model_options)
    design = m.prepare(data)
    specs = _check_fit_inputs(m, design, data)
    rng = np.random.default_rng(seed)
    starts = [_to_free(m.initial(design, rng), specs) for _ in range(int(n_starts))]
    theta, ll, z = _maximise(m, design, specs, starts)
    se = _hessian_se(m, design, specs, z)
    ci = None
    if int(n_bootstrap) > 0:
        boots = np.empty((int(n_bootstrap), len(specs)))
        for b in range(int(n_bootstrap)):
            sim = m.prepare(data.with_response(m.simulate(theta, design, rng)))
            # start inside the domain: a rate fitted at its bound has a vanishing gradient there
            boots[b] = _maximise(m, sim, specs, [_interior(z, specs)])[0]
        lo, hi = np.quantile(boots, [0.025, 0.975], axis=0)
        ci = {p.name: (float(a), float(b)) for p, a, b in zip(specs, lo, hi)}
    k, n = len(specs), data.n_trials
    names = [p.name for p in specs]
    prof = profile_intervals(m, design, specs, z, ll, _from_free) if profile else None
    flags = at_bound(theta, specs, float(np.std(data.response)) or 1.0)
    return ObserverFit(model=m.name, params=dict(zip(names, map(float, theta))), se=dict(zip(names, map(float, se))),
                       ci=ci, loglik=ll, n_params=k, n_trials=n, aic=2 * k - 2 * ll, bic=k * np.log(n) - 2 * ll,
                       profile_ci=prof, at_bound=flags)


def cross_validated_loglik(data: TrialTable, model: str, *, n_folds: int = 5, seed: int = 0, **model_options) -> float:
    """Held-out log-likelihood summed over ``n_folds`` folds (trials, or sequences for ``kalman``).

    Parameters
    ----------
    data : TrialTable
        The trials.
    model : str
        Model name (see :func:`get_model`).
    n_folds : int
        Folds.
    seed : int
        Seeds the fold assignment and the optimiser starts.
    **model_options
        Passed to :func:`get_model`.

    Returns
    -------
    float
    """
    m = get_model(model, **model_options)
    units = data.sequence if (model == "kalman" and data.sequence is not None) else np.arange(data.n_trials)
    ids = np.unique(units)
    if len(ids) < int(n_folds) or int(n_folds) < 2:
        what = "sequences" if model == "kalman" else "trials"
        raise InputError(f"{len(ids)} {what} cannot be split into {n_folds} cross-validation folds")
    rng = np.random.default_rng(seed)
    folds = np.array_split(rng.permutation(ids), int(n_folds))
    total = 0.0
    for test_ids in folds:
        test = np.isin(units, test_ids)
        fit = fit_observer(data.subset(~test), model, n_starts=3, seed=seed, **model_options)
        held = m.prepare(data.subset(test))
        total += m.loglik(np.array(list(fit.params.values())), held)
    return float(total)


@dataclass(frozen=True)
class ModelComparison:
    """Models fitted to the same data.

    Attributes
    ----------
    fits : tuple of ObserverFit
    cv_loglik : tuple of float
        Held-out log-likelihood per model (NaN if not computed).
    best_bic, best_aic, best_cv : str
        Preferred model under each criterion.
    """

    fits: tuple
    cv_loglik: tuple
    best_bic: str
    best_aic: str
    best_cv: str | None


def compare_models(data: TrialTable, models=("gaussian", "cue-combination", "cue-equal"), *, cv_folds: int = 0,
                   n_starts: int = 5, seed: int = 0) -> ModelComparison:
    """Fit several models to the same trials and rank them by AIC, BIC and (optionally) CV.

    Parameters
    ----------
    data : TrialTable
        The trials.
    models : sequence of str
        Model names (see :func:`get_model`).
    cv_folds : int
        Folds of the held-out log-likelihood (0: no cross-validation).
    n_starts : int
        Optimiser starts per fit.
    seed : int
        Seeds starts and folds.

    Returns
    -------
    ModelComparison
    """
    fits = tuple(fit_observer(data, m, n_starts=n_starts, seed=seed) for m in models)
    cv = tuple(cross_validated_loglik(data, m, n_folds=cv_folds, seed=seed) if cv_folds else np.nan
               for m in models)
    best_cv = models[int(np.nanargmax(cv))] if cv_folds else None
    return ModelComparison(fits=fits, cv_loglik=cv, best_bic=min(fits, key=lambda f: f.bic).model,
                           best_aic=min(fits, key=lambda f: f.aic).model, best_cv=best_cv)

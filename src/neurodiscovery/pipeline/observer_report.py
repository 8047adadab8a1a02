"""Report pieces of ``observer fit``: bound-aware parameter table, sensory–motor trade-off, cue test."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._utils.quantity import count, quantity
from .report import Figure, Section

if TYPE_CHECKING:
    from .. import theory as th


def fit_rows(fit: th.ObserverFit) -> list[dict]:
    """One row per parameter: estimate, Hessian SE, profile and bootstrap intervals, bound flag.

    Parameters
    ----------
    fit : ObserverFit
        A fit with ``profile_ci`` (``fit_observer(..., profile=True)``).

    Returns
    -------
    list of dict
    """
    rows = []
    for name, value in fit.params.items():
        lo, hi = fit.ci[name] if fit.ci else (np.nan, np.nan)
        plo, phi = fit.profile_ci[name] if fit.profile_ci else (np.nan, np.nan)
        bound = bool((fit.at_bound or {}).get(name))
        rows.append({"parameter": name, "estimate": value, "at its bound": "yes" if bound else "",
                     "95% profile-likelihood CI low": plo, "95% profile-likelihood CI high": phi,
                     "standard error (Hessian)": np.nan if bound else fit.se[name],
                     "95% bootstrap CI low": lo, "95% bootstrap CI high": hi})
    return rows


def bound_quantity(fit: th.ObserverFit) -> object:
    """``k of n parameters`` at the edge of their domain, naming them.

    Parameters
    ----------
    fit : ObserverFit

    Returns
    -------
    Quantity
    """
    names = [k for k, v in (fit.at_bound or {}).items() if v]
    return count("parameters at a bound of their domain", len(names), len(fit.params), "parameters",
                 note=("at the bound: " + ", ".join(names) + "; their Hessian SE is not reported and a bootstrap "
                       "from the fit is degenerate: read the profile-likelihood interval") if names else None)


def tradeoff_figure(figures, data: th.TrialTable, fit: th.ObserverFit) -> Figure | None:
    """Log-likelihood over (most reliable cue's SD, motor SD): the sensory–motor trade-off.

    Parameters
    ----------
    figures : FigureWriter
        Saves the figures of the run.
    data : TrialTable
        The fitted trials.
    fit : ObserverFit
        A fit of a cue observer (``gaussian``, ``cue-combination``, ``cue-equal``).

    Returns
    -------
    Figure or None
        None for models without a motor SD and a cue SD.
    """
    import matplotlib.pyplot as plt

    from .. import theory as th

    names = list(fit.params)
    cues = [k for k in names if k.startswith("sd_") and k not in ("sd_prior", "sd_motor")]
    if "sd_motor" not in names or not cues:
        return None
    cue = min(cues, key=lambda k: fit.params[k])
    model = th.get_model(fit.model)
    design = model.prepare(data)
    theta = np.array(list(fit.params.values()))
    top_c = 2.5 * max(fit.params[cue], (fit.profile_ci or {}).get(cue, (0, 0))[1] or 0, 1e-3)
    top_m = 2.5 * max(fit.params["sd_motor"], (fit.profile_ci or {}).get("sd_motor", (0, 0))[1] or 0,
                      0.5 * fit.params[cue], 1e-3)
    xs, ys = np.linspace(0.01 * top_c, top_c, 40), np.linspace(0.0, top_m, 40)
    ll = th.loglik_grid(model, design, theta, names.index(cue), names.index("sd_motor"), xs, ys)
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    th.plotting.plot_loglik_surface(xs, ys, ll, f"{cue} (stimulus units)", "sd_motor (stimulus units)",
                                    estimate=(fit.params[cue], fit.params["sd_motor"]), ax=ax)
    return figures.save(fig, "sensory_motor_tradeoff", f"Sensory–motor trade-off: log-likelihood over {cue} and the motor SD "
                  "(other parameters at their estimates); white: the 95 % joint region. Both SDs add response "
                  "variance, so a ridge means the data trade one for the other.")


def _motor_text(s) -> str:
    if s.motor_sd > 0:
        return (f"The fitted motor SD ({s.motor_sd:.4g}) is removed from each single-cue variance before the "
                "sensory variances are combined and added back once: motor noise is added after combination, so "
                "leaving it in the single-cue SDs predicts too small a combined SD and rejects an optimal observer.")
    return "Single-cue SDs include any motor noise, as in the classic test (Ernst & Banks 2002)."


def cue_section(t) -> tuple[Section | None, dict]:
    """The optimality test of cue combination, when the trials allow it.

    Parameters
    ----------
    t : CueWeightTest or None
        :func:`neurodiscovery.theory.cue_weight_test` of the trials (None: no single-cue and
        combined trials).

    Returns
    -------
    Section or None
    dict
        Its metrics (empty without a test).
    """
    if t is None:
        return None, {}
    s = t.sd
    ratio = quantity("combined SD, observed / optimal", s.ratio, "1", interval=s.ci,
                     interval_kind=f"{s.level:.0%} bootstrap, trials resampled within each condition",
                     note="1 = optimal; an interval above 1 rejects optimal combination at the 5 % level")
    inside = sum(r["optimal inside CI"] for r in t.rows())
    wq = count("cues whose optimal weight lies inside the observed weight's 95 % interval", inside, len(t.cues),
               "cues")
    text = [f"Single-cue trials ({', '.join(f'{c}: {n}' for c, n in t.n_single.items())}) give each cue's SD; "
            f"the optimal observer predicts weights proportional to 1/SD² and a combined SD of "
            f"{s.predicted_sd:.4g}. On the {t.n_combined} trials with every cue, a regression of the response on "
            f"the cue values gives the observed weights; its residual SD {s.observed_sd:.4g} is the observed "
            f"combined SD: ratio {ratio.format()}. {wq.label.capitalize()}: {wq.format()}. " + _motor_text(s)]
    metrics = {"combined_sd_ratio": ratio.to_json(), "weights_consistent": wq.to_json(),
               "predicted_sd": s.predicted_sd, "observed_sd": s.observed_sd, "weights": t.rows()}
    return Section("cue_optimality", "Cue combination: predicted against observed", text=text,
                   tables=[("Weights per cue (combined trials)", t.rows())], metrics=metrics), metrics


def fit_figures(figures, data: th.TrialTable, fit: th.ObserverFit, options: dict) -> list[Figure]:
    """The fitted model against the data, and (gaussian) the fitted prior, likelihood and posterior.

    Parameters
    ----------
    figures : FigureWriter
        Saves the figures of the run.
    data : TrialTable
        The fitted trials.
    fit : ObserverFit
    options : dict
        ``kind``/``task`` of the psychometric model.

    Returns
    -------
    list of Figure
    """
    import matplotlib.pyplot as plt

    from .. import theory as th

    model = th.get_model(fit.model, **options)
    design = model.prepare(data)
    theta = np.array(list(fit.params.values()))
    fig, ax = plt.subplots(figsize=(5, 3.8))
    if fit.model == "psychometric":
        xs = np.linspace(design.x.min(), design.x.max(), 200)
        guess = fit.params.get("guess", 0.5)
        curve = th.psychometric_function(xs, theta[0], theta[1], theta[2], guess, model.kind)
        th.plotting.plot_psychometric(design.x, design.k, design.n, xs, curve, fit.params["threshold"], ax=ax)
        caption = f"Proportion correct per stimulus level and the fitted {model.kind} psychometric function."
    elif fit.model == "kalman":
        ax.plot(design.stimulus[0], label="stimulus")
        ax.plot(design.response[0], label="response", alpha=0.7)
        ax.set_xlabel("time step")
        ax.set_ylabel("position (stimulus units)")
        ax.legend(fontsize=7)
        caption = "First sequence: the moving stimulus and the observer's responses."
    else:
        mean, _ = model.moments(theta, design)
        th.plotting.plot_responses(data.stimulus, data.response, data.condition, mean, ax=ax)
        caption = f"Responses per trial against the stimulus and the fitted {fit.model} observer's mean response."
    figs = [figures.save(fig, "fit", caption)]
    if fit.model == "gaussian":
        fig, ax = plt.subplots(figsize=(5, 3.8))
        cue = next(k for k in fit.params if k.startswith("sd_") and k not in ("sd_prior", "sd_motor"))
        th.plotting.plot_prior_likelihood_posterior(fit.params["mu_prior"], fit.params["sd_prior"],
                                                    fit.params["mu_prior"] + fit.params["sd_prior"],
                                                    fit.params[cue], ax=ax)
        figs.append(figures.save(fig, "prior_likelihood_posterior", f"Fitted prior, the likelihood of a measurement "
                                 f"one prior SD above the prior mean through cue {cue[3:]!r}, and the posterior."))
    return figs

"""Report pieces of ``observer fit``: bound-aware parameter table, sensory–motor trade-off, cue test."""
from __future__ import annotations

import numpy as np

from .. import theory as th
from .._utils.quantity import count, quantity
from .report import Figure, Section, save_figure


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


def tradeoff_figure(run, data: th.TrialTable, fit: th.ObserverFit) -> Figure | None:
    """Log-likelihood over (most reliable cue's SD, motor SD): the sensory–motor trade-off.

    Parameters
    ----------
    run : RunFolder
        The open run folder.
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
    save_figure(fig, run.figures, "sensory_motor_tradeoff")
    return Figure("sensory_motor_tradeoff", f"Sensory–motor trade-off: log-likelihood over {cue} and the motor SD "
                  "(other parameters at their estimates); white: the 95 % joint region. Both SDs add response "
                  "variance, so a ridge means the data trade one for the other.")


def cue_section(data: th.TrialTable, seed: int) -> tuple[Section | None, dict]:
    """The optimality test of cue combination, when the trials allow it.

    Parameters
    ----------
    data : TrialTable
        Trials with ``cue_*`` values.
    seed : int
        Seeds the bootstrap.

    Returns
    -------
    Section or None
    dict
        Its metrics (empty without a test).
    """
    t = th.cue_weight_test(data, seed=seed)
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
            f"combined SD: ratio {ratio.format()}. {wq.format()}. Single-cue SDs include motor noise, as in "
            "the classic test (Ernst & Banks 2002)."]
    metrics = {"combined_sd_ratio": ratio.to_json(), "weights_consistent": wq.to_json(),
               "predicted_sd": s.predicted_sd, "observed_sd": s.observed_sd, "weights": t.rows()}
    return Section("cue_optimality", "Cue combination: predicted against observed", text=text,
                   tables=[("Weights per cue (combined trials)", t.rows())], metrics=metrics), metrics

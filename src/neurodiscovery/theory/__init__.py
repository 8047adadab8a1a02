"""Theory: Bayesian observer models fitted to behaviour.

Gaussian observers with sequential conjugate updating, reliability-weighted cue
combination (and a test of its optimality), Kalman observers of moving stimuli,
psychometric functions with guess and lapse rates; maximum-likelihood fitting with
Hessian and bootstrap uncertainty, model comparison (AIC, BIC, cross-validated
log-likelihood) and the parameter- and model-recovery protocols that say what the
data can identify.

>>> from neurodiscovery import theory
>>> fit = theory.fit_observer(theory.read_trials("responses.csv"), "gaussian")   # doctest: +SKIP
"""
from . import plotting  # noqa: E402  (plot_* functions)
from .bayes import (
                    CombinedCue,
                    GaussianBelief,
                    OptimalityTest,
                    combine_cues,
                    test_cue_optimality,
                    update_gaussian_belief,
)
from .cue_test import CueWeightTest, cue_weight_test
from .data import TrialTable, read_trials, write_trials
from .fitting import (
                    MODELS,
                    ModelComparison,
                    ObserverFit,
                    compare_models,
                    cross_validated_loglik,
                    fit_observer,
                    get_model,
)
from .kalman import KalmanFiltered, kalman_filter, random_walk_gains, steady_state_gain
from .observers import CueCombination, GaussianObserver, KalmanObserverModel
from .profile import at_bound, loglik_grid, profile_intervals
from .psychometric import PsychometricModel, psychometric_function, threshold_slope
from .recovery import ModelRecovery, ParameterRecovery, recover_models, recover_parameters
from .simulate import simulate_observer

__all__ = ["CueWeightTest", "at_bound", "cue_weight_test", "loglik_grid", "profile_intervals",
           "CombinedCue", "CueCombination", "GaussianBelief", "GaussianObserver", "KalmanFiltered",
           "KalmanObserverModel", "MODELS", "ModelComparison", "ModelRecovery", "ObserverFit", "OptimalityTest",
           "ParameterRecovery", "PsychometricModel", "TrialTable", "combine_cues", "compare_models",
           "cross_validated_loglik", "fit_observer", "get_model", "kalman_filter", "psychometric_function",
           "random_walk_gains", "read_trials", "recover_models", "recover_parameters", "simulate_observer",
           "plotting", "steady_state_gain", "test_cue_optimality", "threshold_slope", "update_gaussian_belief", "write_trials"]

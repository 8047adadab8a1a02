"""Neural decoding: behaviour from population activity, cross-validated honestly.

Decoders (scikit-learn estimators: ``fit``/``predict``/``score``, ``get_params``/``set_params``)
-------------------------------------------------------------------------------------------
Regression (behaviour ``y (samples, outputs)`` from spike-history features):

* :class:`WienerFilter` — ridge regression, closed form; ``alpha="auto"`` picks the
  ridge strength on a validation block at the end of the training data.
* :class:`WienerCascade` — Wiener filter + per-output polynomial nonlinearity.
* :class:`KalmanFilterDecoder` — least-squares state-space fit (Wu et al. 2003);
  ``predict`` uses neural data only; ``steady_state=True`` for a constant gain.
* :class:`PoissonBayesDecoder` — Poisson naive Bayes over a grid of positions or
  angles, uniform or occupancy prior.
* :class:`MLPDecoder`, :class:`GRUDecoder`, :class:`LSTMDecoder` — torch; mini-batches,
  early stopping on a trailing validation block, weight decay, seeded by a
  ``torch.Generator`` (no global seeding; ``torch.set_num_threads`` is respected).

Classification (trial conditions): :class:`LogisticDecoder`, :class:`MLPClassifierDecoder`,
scored by :func:`cross_validate_classifiers` (accuracy, balanced accuracy, confusion matrix).

Design matrices
---------------
:func:`lagged_design` builds ``bins_before`` / current / ``bins_after`` spike-history
windows from strided views: ``(samples, lags * neurons)`` or ``(samples, lags, neurons)``.

Cross-validation
----------------
:func:`cross_validate_decoders` runs several decoders on the *same* blocked folds
(:func:`neurodiscovery.data.blocked_kfold`, gap = ``bins_before + bins_after`` samples so no
training window shares a bin with a test window); hyper-parameters are chosen on a
validation block inside each training set; every decoder is also run on the behaviour
circularly shifted in time (chance level). Metrics: R² (coefficient of determination,
per output and mean), Pearson r² (named as such), RMSE, median absolute angular error
for circular targets (decoded as cos, sin)::

    from neurodiscovery.decoding import cross_validate_decoders
    res = cross_validate_decoders(X, y, decoders=["wiener", "kalman", "mlp", "lstm"],
                                  n_splits=5, bins_before=4, bins_after=4,
                                  circular=False, seed=0, quick=False)
    res.table              # list of DecoderScore (decoder, control "none"/"shifted", r2_mean, ...)
    res.best().decoder     # best real decoder by R²
    res.to_markdown()      # comparison table
    res.to_json(path)      # JSON-ready dict (also written to path if given)
    res.predictions["lstm"].y_true, res.predictions["lstm"].y_pred   # test folds, in time order
    res.predictions["lstm"].sample_index                             # time bin of each row

:func:`decode_recording` does the same from a :class:`~neurodiscovery.data.Recording`
(binning, epoch, target by name; unknown names list the available behaviours).

Nested selection and uncertainty
--------------------------------
:func:`nested_cross_validate` chooses the decoder (and its parameters) inside each outer
training fold on an inner validation block, scores the choice on the outer test fold, and
reports the pooled R² with a circular-block-bootstrap interval (:func:`block_bootstrap_ci`) and a
permutation p-value against the chosen decoders refitted on shifts of the behaviour (linear
shifts of a central window by default, :mod:`.shift_null`).
:func:`classify_with_uncertainty` does the same for trial conditions (labels permuted
against the cross-validated predictions; trials resampled for the interval).

Saving: :func:`save_decoder` / :func:`load_decoder` store any fitted decoder as a
checkpoint folder (``state_dict.pt`` + ``config.json``, no pickle).

Bad input raises :class:`~neurodiscovery._utils.errors.InputError`: unknown target or
decoder, too few samples for the lags, NaN/inf features, one-class targets. All-zero
neurons are dropped and NaN targets are dropped and counted, each with a warning.
"""
from .bayes import PoissonBayesDecoder
from .classification import (
                      CLASSIFIERS,
                      ClassificationResult,
                      LogisticDecoder,
                      cross_validate_classifiers,
                      make_classifier,
)
from .classify_stats import ClassificationStats, classify_with_uncertainty
from .crossval import DEFAULT_DECODERS, NONLINEAR, REGRESSORS, DecodingResult, cross_validate_decoders, make_regressor
from .design import infer_n_lags, lagged_design, n_lags, window_sum
from .inference import BootstrapCI, block_bootstrap_ci
from .kalman import KalmanFilterDecoder
from .linear import WienerCascade, WienerFilter
from .metrics import (
                      angles_to_cossin,
                      angular_error_rad,
                      classification_metrics,
                      cossin_to_angles,
                      median_angular_error_deg,
                      pearson_r2_per_output,
                      r2_per_output,
                      regression_metrics,
                      rmse_per_output,
)
from .nested import NestedDecodingResult, nested_cross_validate
from .neural import GRUDecoder, LSTMDecoder, MLPClassifierDecoder, MLPDecoder
from .persist import load_decoder, save_decoder
from .presets import DECODER_PRESETS, decoder_preset
from .recording import decode_recording
from .results import DecoderPredictions, DecoderScore

__all__ = [
    "BootstrapCI", "ClassificationStats", "NestedDecodingResult", "block_bootstrap_ci",
    "classify_with_uncertainty", "load_decoder", "nested_cross_validate", "save_decoder",
    "DECODER_PRESETS", "decoder_preset",
    "CLASSIFIERS", "ClassificationResult", "DEFAULT_DECODERS", "DecoderPredictions", "DecoderScore", "NONLINEAR", "REGRESSORS", "DecodingResult", "GRUDecoder", "KalmanFilterDecoder",
    "LSTMDecoder", "LogisticDecoder", "MLPClassifierDecoder", "MLPDecoder", "PoissonBayesDecoder",
    "WienerCascade", "WienerFilter", "angles_to_cossin", "angular_error_rad", "classification_metrics",
    "cossin_to_angles", "cross_validate_classifiers", "cross_validate_decoders", "decode_recording",
    "infer_n_lags", "lagged_design", "make_classifier", "make_regressor", "median_angular_error_deg", "n_lags",
    "pearson_r2_per_output", "r2_per_output", "regression_metrics", "rmse_per_output", "window_sum",
]

"""Brain-inspired learning rules, benchmarked against backprop on the same networks.

Supervised rules (:mod:`~neurodiscovery.learning.rules`) train an
:class:`~neurodiscovery.learning.network.MLP` of any depth (tanh or ReLU) with mini-batch
SGD, without autograd: ``backprop`` (the reference; weight transport), ``fa`` (feedback
alignment, Lillicrap et al. 2016), ``dfa`` (direct feedback alignment, Nøkland 2016),
``three_factor`` (node perturbation: global reward prediction error x own noise x
presynaptic activity) and the ``frozen`` readout-only control::

    from neurodiscovery.learning import load_task, compare_rules
    cmp = compare_rules(load_task("digits"), ["backprop", "fa", "dfa", "three_factor"],
                        hidden_sizes=(128,), seeds=3)
    print(cmp.to_markdown())

Learning rate and epochs are chosen on a validation split of the training set; the test
set is scored once. :class:`LearningRuleClassifier` is the scikit-learn-style estimator;
its ``history_`` holds learning curves and the per-layer angle between each update and
the true gradient.

Spiking networks (:mod:`~neurodiscovery.learning.spiking`): LIF layers with the native engine's
exact-integration update, trained by surrogate-gradient BPTT or e-prop (:func:`train_snn`), on
Randman, latency/rate-coded digits, MNIST-1D or a CSV (:func:`load_spike_task`); exported to the
engine (:func:`export_agreement`); operation counts (:func:`synaptic_operations`,
:func:`communication_table`) and continual learning (:func:`run_continual`).

Unsupervised local rules: :class:`OjaPCA` (Oja / Sanger), :class:`BCM`, and pair-based
STDP in trace form (:func:`stdp_weight_change`, :func:`stdp_window`, :func:`fit_stdp_window`).
"""
from .continual import run_continual
from .encoding import SpikeTask, load_spike_task, make_randman
from .energy import communication_table, synaptic_operations
from .eprop import eprop_gradients
from .evaluate import (
                    RuleComparison,
                    RuleResult,
                    SeedResult,
                    compare_rules,
                    evaluate_rule,
)
from .export import export_agreement
from .hebbian import BCM, OjaPCA
from .network import MLP
from .rules import (
                    RULES,
                    SUPERVISED_RULES,
                    Backprop,
                    DirectFeedbackAlignment,
                    FeedbackAlignment,
                    FrozenHidden,
                    ThreeFactor,
                    backprop_gradients,
                    make_rule,
)
from .snn_train import train_snn
from .spiking import LIFConfig, SpikingNetwork
from .stdp import (
                    STDPParams,
                    STDPWindowFit,
                    fit_stdp_window,
                    stdp_weight_change,
                    stdp_window,
)
from .tasks import (
                    ClassificationTask,
                    load_csv_task,
                    load_digits_task,
                    load_mnist1d_task,
                    load_task,
)
from .train import LearningRuleClassifier, TrainingHistory, angle_rad

__all__ = ["BCM", "MLP", "RULES", "SUPERVISED_RULES", "Backprop", "ClassificationTask",
           "DirectFeedbackAlignment", "FeedbackAlignment", "FrozenHidden", "LearningRuleClassifier",
           "OjaPCA", "RuleComparison", "RuleResult", "STDPParams", "STDPWindowFit", "SeedResult",
           "ThreeFactor", "TrainingHistory", "angle_rad", "backprop_gradients", "compare_rules",
           "evaluate_rule", "fit_stdp_window", "load_csv_task", "load_digits_task", "load_mnist1d_task",
           "load_task", "make_rule", "stdp_weight_change", "stdp_window",
           "LIFConfig", "SpikeTask", "SpikingNetwork", "communication_table", "eprop_gradients", "export_agreement",
           "load_spike_task", "make_randman", "run_continual", "synaptic_operations", "train_snn"]

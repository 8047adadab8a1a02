"""Whole-network checks of a :class:`~.network.Network` (names, sizes, rules, Dale's law, time grid).

Each raises :class:`InputError` naming the first problem; :meth:`Network.validate` calls them.
"""
from __future__ import annotations

from .._utils.errors import InputError
from .components import Distribution, _finite

_RULES = ("pairwise_bernoulli", "fixed_indegree", "fixed_total_number", "explicit")


def _validate_populations(populations, dt: float | None = None) -> None:
    if not populations:
        raise InputError("network has no populations")
    names = [p.name for p in populations]
    if len(set(names)) != len(names):
        raise InputError(f"population names must be unique, got {names}")
    for p in populations:
        w = f"population {p.name!r}"
        if not isinstance(p.n, int) or isinstance(p.n, bool):
            raise InputError(f"{w}: n must be an int, got {p.n!r}")
        if p.n < 1:
            raise InputError(f"{w} has {p.n} neurons: every population needs at least one "
                             "(is the scale too small?)")
        p.params.validate(f"{w} params")
        if dt is not None:  # NEST refuses a refractory period off the grid; never round it silently
            _as_steps(p.params.t_ref_ms, dt, f"{w} params.t_ref_ms")
        p.v_init.validate(f"{w} v_init")
        if p.sign not in (None, "excitatory", "inhibitory"):
            raise InputError(f"{w}.sign must be 'excitatory', 'inhibitory' or None")


def _validate_projection(pr, sizes: dict, signs: dict, dt: float) -> None:
    w = f"projection {pr.source}->{pr.target}"
    for end in (pr.source, pr.target):
        if end not in sizes:
            raise InputError(f"{w}: unknown population {end!r}; populations are {list(sizes)}")
    pr.weight.validate(f"{w} weight")
    pr.delay.validate(f"{w} delay")
    _check_delay(pr.delay, dt, w)
    c = pr.connectivity
    if c.rule not in _RULES:
        raise InputError(f"{w}: unknown rule {c.rule!r}; rules are {list(_RULES)}")
    npre, npost, same = sizes[pr.source], sizes[pr.target], pr.source == pr.target
    if c.rule == "explicit":
        _validate_explicit(c, w, npre, npost, dt)
    else:
        _validate_generated(c, w, npre, same)
    _validate_dale(pr, signs[pr.source], w)
    pr.synapse.validate(w, pr.weight)
    if pr.synapse.model == "stdp_synapse" and c.rule == "explicit" and any(x < 0 for x in c.weights_pa or []):
        raise InputError(f"{w}: STDP weights must be >= 0")


def validate_plastic(projections) -> None:
    """A plastic projection is the only projection from its source to its target (interventions and
    weight read-outs name projections by their populations); STDP projections onto one population
    share the postsynaptic trace's ``tau_minus_ms`` (it belongs to the neuron, as in NEST)."""
    pairs = [(pr.source, pr.target) for pr in projections]
    tau_minus = {}
    for pr in projections:
        if pr.synapse.plastic and pairs.count((pr.source, pr.target)) > 1:
            raise InputError(f"projection {pr.source}->{pr.target} is plastic ({pr.synapse.model}) but is not "
                             "the only projection between these populations; merge them or split a population")
        if pr.synapse.model == "stdp_synapse":
            t = tau_minus.setdefault(pr.target, pr.synapse.tau_minus_ms)
            if t != pr.synapse.tau_minus_ms:
                raise InputError(f"STDP projections onto {pr.target!r} use different tau_minus_ms ({t} and "
                                 f"{pr.synapse.tau_minus_ms}); the postsynaptic trace belongs to the neuron")


def _validate_generated(c, w: str, npre: int, same: bool) -> None:
    if c.rule == "pairwise_bernoulli":
        if c.p is None or not 0 <= _finite(c.p, f"{w}.p") <= 1:
            raise InputError(f"{w}: pairwise_bernoulli needs 0 <= p <= 1, got {c.p!r}")
    elif c.rule == "fixed_indegree":
        if c.k is None or int(c.k) != c.k or c.k < 0:
            raise InputError(f"{w}: fixed_indegree needs an int k >= 0, got {c.k!r}")
        avail = npre - (1 if same and not c.allow_autapses else 0)
        if not c.allow_multapses and c.k > avail:
            raise InputError(f"{w}: k={c.k} exceeds the {avail} possible sources without multapses")
        if c.k > 0 and avail < 1:
            raise InputError(f"{w}: no possible source (one neuron, no autapses)")
    else:
        if c.n is None or int(c.n) != c.n or c.n < 0:
            raise InputError(f"{w}: fixed_total_number needs an int n >= 0, got {c.n!r}")
        if c.n > 0 and same and not c.allow_autapses and npre < 2:
            raise InputError(f"{w}: no possible source (one neuron, no autapses)")


def _validate_explicit(c, w: str, npre: int, npost: int, dt: float) -> None:
    s, t = c.sources or [], c.targets or []
    if len(s) != len(t):
        raise InputError(f"{w}: explicit sources and targets differ in length ({len(s)} vs {len(t)})")
    if s and (min(s) < 0 or max(s) >= npre or min(t) < 0 or max(t) >= npost):
        raise InputError(f"{w}: explicit indices out of range (source < {npre}, target < {npost})")
    for nm in ("weights_pa", "delays_ms"):
        v = getattr(c, nm)
        if v is not None and len(v) != len(s):
            raise InputError(f"{w}: explicit {nm} has {len(v)} entries for {len(s)} synapses")
    for d in c.delays_ms or []:
        _check_delay(Distribution("constant", d), dt, w)


def _validate_dale(pr, sign, w: str) -> None:
    c, wmean = pr.connectivity, pr.weight.mean
    if sign == "excitatory" and (wmean < 0 or (pr.weight.kind == "uniform" and pr.weight.a < 0)):
        raise InputError(f"{w}: Dale's law: {pr.source} is excitatory but the weight distribution is negative")
    if sign == "inhibitory" and (wmean > 0 or (pr.weight.kind == "uniform" and pr.weight.b > 0)):
        raise InputError(f"{w}: Dale's law: {pr.source} is inhibitory but the weight distribution is positive")
    if c.rule == "explicit" and c.weights_pa is not None and sign is not None:
        bad = [x for x in c.weights_pa if (x < 0 if sign == "excitatory" else x > 0)]
        if bad:
            raise InputError(f"{w}: Dale's law: {len(bad)} explicit weights have the wrong sign for {sign} "
                             f"population {pr.source}")


def _validate_inputs(net, sizes: dict, dt: float) -> None:
    """Targets, neuron selections and timing of every external input."""
    from .inputs import select_neurons

    for kind, inputs in (("poisson input", net.poisson_inputs), ("current input", net.current_inputs),
                         ("spike input", net.spike_inputs)):
        for i, inp in enumerate(inputs):
            w = f"{kind} {i}"
            if inp.target not in sizes:
                raise InputError(f"{w}: unknown population {inp.target!r}; populations are {list(sizes)}")
            inp.validate(w)
            chosen = select_neurons(inp.neurons, sizes[inp.target], w)
            if kind == "spike input":
                _validate_spike_input(inp, w, dt, sizes[inp.target] if chosen is None else len(chosen))


def _validate_spike_input(inp, w: str, dt: float, n_chosen: int) -> None:
    if inp.delay_ms is not None and _as_steps(inp.delay_ms, dt, f"{w}.delay_ms") < 1:
        raise InputError(f"{w}.delay_ms must be at least one time step ({dt} ms)")
    if inp.per_neuron():
        if inp.fraction != 1.0:
            raise InputError(f"{w}: one list of times per neuron needs the neurons listed, not a random fraction")
        if len(inp.times_ms) != n_chosen:
            raise InputError(f"{w}.times_ms has {len(inp.times_ms)} lists for {n_chosen} chosen neurons")
    rows = inp.times_ms if inp.per_neuron() else [inp.times_ms]
    for row in rows:
        for t in row:
            _as_steps(t, dt, f"{w} spike time")


def check_within_run(net, duration_ms: float) -> None:
    """Refuse spike-input times after the end of a run of ``duration_ms`` (they would never arrive)."""
    for i, si in enumerate(net.spike_inputs):
        rows = si.times_ms if si.per_neuron() else [si.times_ms]
        late = [t for row in rows for t in row if t > duration_ms + 1e-9]
        if late:
            raise InputError(f"spike input {i}: spike time {late[0]} ms lies outside the run (0, {duration_ms}] ms; "
                             "lengthen the run or drop the late spikes")


def _validate_recorder(r, sizes: dict, dt: float) -> None:
    for nm in (r.spike_populations or []):
        if nm not in sizes:
            raise InputError(f"recorder: unknown population {nm!r}")
    if not 0 < _finite(r.spike_fraction, "recorder.spike_fraction") <= 1:
        raise InputError("recorder.spike_fraction must be in (0, 1]")
    for nm, idx in r.state_neurons.items():
        if nm not in sizes:
            raise InputError(f"recorder.state_neurons: unknown population {nm!r}")
        if any(int(i) != i or i < 0 or i >= sizes[nm] for i in idx):
            raise InputError(f"recorder.state_neurons[{nm!r}]: indices must be in [0, {sizes[nm]})")
    if r.state_neurons:
        _as_steps(r.state_interval_ms, dt, "recorder.state_interval_ms")


def _as_steps(ms: float, dt: float, name: str) -> int:
    v = _finite(ms, name)
    if v < 0:
        raise InputError(f"{name} must be >= 0, got {v}")
    n = round(v / dt)
    if abs(n * dt - v) > 1e-6 * max(dt, abs(v)):
        raise InputError(f"{name} = {v} ms is not a multiple of dt_ms = {dt} ms")
    return int(n)


def _check_delay(d: Distribution, dt: float, where: str) -> None:
    if d.kind == "constant":
        if d.a <= 0:
            raise InputError(f"{where}: delay must be > 0 ms, got {d.a}")
        n = _as_steps(d.a, dt, f"{where} delay")
        if n < 1:
            raise InputError(f"{where}: delay {d.a} ms is shorter than one time step")
    elif d.kind == "normal":
        if d.a <= 0:
            raise InputError(f"{where}: mean delay must be > 0 ms, got {d.a}")
    else:
        if d.a < 0:
            raise InputError(f"{where}: delays must be >= 0 ms, got uniform low {d.a}")
        if d.b < dt:
            raise InputError(f"{where}: uniform delay range lies below one time step")

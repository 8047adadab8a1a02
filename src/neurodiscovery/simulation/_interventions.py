"""Interventions on a built native network between runs: scale a projection's weights, silence a population.

Both act on the built arrays, so the network (connectivity, delays, random streams) stays
exactly the one the control ran; the NEST backend has the same methods
(:class:`~.nest_backend.NestNetwork`).
"""
from __future__ import annotations

import numpy as np

from .._utils.errors import InputError


class InterventionMixin:
    """``scale_weights`` and ``silence`` for :class:`~.engine.NativeNetwork`."""

    def _pop_range(self, name: str) -> tuple[int, int, int]:
        self.net.population(name)  # one clear error for an unknown name
        q = self.names.index(name)
        return q, int(self.offsets[q]), int(self.offsets[q] + self.sizes[q])

    def scale_weights(self, source: str, target: str, factor: float) -> None:
        """Multiply the weights of every synapse from population ``source`` to ``target`` by ``factor``.

        Parameters
        ----------
        source, target : str
            Population names.
        factor : float
            Relative to the weights as built (1 restores them; 0 removes the projection's effect).
        """
        key = (source, target)
        if key in self._plastic_index:
            raise InputError(f"projection {source}->{target} is plastic; scale_weights acts on static projections "
                             "(scale the plastic weights' bounds or learning rate in the description instead)")
        saved = self.__dict__.setdefault("_saved_weights", {})
        if key not in saved:
            _, s0, s1 = self._pop_range(source)
            _, t0, t1 = self._pop_range(target)
            lo, hi = int(self.delivery.rowptr[s0]), int(self.delivery.rowptr[s1])
            tgt = (self.packed[lo:hi] >> self.shift).astype(np.int64)
            sel = lo + np.flatnonzero((tgt >= t0) & (tgt < t1))
            saved[key] = (sel, self.weights[sel].copy())
        sel, w0 = saved[key]
        self.delivery.synw[sel, 1] = (w0.astype(np.float64) * float(factor)).astype(np.float32)

    def silence(self, population: str, on: bool) -> None:
        """Silence ``population`` (threshold at +inf: its neurons emit no spikes) or end the silence
        (membrane potentials set to the reset potential, threshold restored), as NEST's twin does.

        Parameters
        ----------
        population : str
            Population name.
        on : bool
            Start (True) or end (False) the silence.
        """
        q, a, b = self._pop_range(population)
        p = self.net.populations[q].params
        if on:
            self.params.th[q] = np.inf
        else:
            self.params.th[q] = p.v_th_mv - p.e_l_mv
            self.state.y[a:b] = p.v_reset_mv - p.e_l_mv

    def synapse_state(self, source: str, target: str) -> dict:
        """Current weights (and short-term state) of the plastic projection ``source -> target``.

        Parameters
        ----------
        source, target : str
            Population names of a projection with a plastic synapse model.

        Returns
        -------
        dict
            ``sources``, ``targets`` (n_synapses,) local neuron indices sorted by (source, target);
            ``weights`` (n_synapses,) the stored weights (pA, or nS onto conductance neurons); for
            Tsodyks synapses also ``u``, ``x``, ``y`` (fractions).
        """
        if (source, target) not in self._plastic_index:
            raise InputError(f"no plastic projection {source}->{target}; plastic projections are "
                             f"{[f'{a}->{b}' for a, b in self._plastic_index]}")
        sel, b = self._plastic_index[(source, target)], self.plastic
        src = np.repeat(np.arange(self.N), np.diff(b.pl_rowptr))[sel]
        out = {"sources": src - self.offsets[self.names.index(source)],
               "targets": b.pl_tgt[sel] - self.offsets[self.names.index(target)], "weights": b.pl_w[sel].copy()}
        if b.pl_type[b.pl_proj[sel[0]]] == 2 if sel.size else False:
            out.update(u=b.pl_u[sel].copy(), x=b.pl_x[sel].copy(), y=b.pl_y[sel].copy())
        return out

"""Report sections of the ``connectome`` run folder: tracking, matrices, graph measures, phantom score."""
from __future__ import annotations

import numpy as np

from .._utils.quantity import count, quantity
from .report import Section


def _tracking_section(result, figures) -> Section:
    from ..connectomics.dmri.plotting import plot_fa_slice, plot_streamlines_slice

    tr, inp = result.tractography, result.inputs
    sec = Section("tractography", "Tractography")
    if tr is None:
        sec.text.append(f"Streamlines read from {inp.source}: {len(inp.streamlines)}.")
        if inp.streamlines is not None and len(inp.streamlines):
            bg = (inp.parcellation.labels > 0).astype(float) * 0.3
            ax = plot_streamlines_slice(inp.streamlines, inp.grid_affine, bg, axis=2)
            sec.figures.append(figures.save(ax.figure, "streamlines", "Streamlines projected on the middle axial "
                                            "slice of the label volume (grey: labelled voxels)."))
        return sec
    s = tr.summary()
    cfg = tr.config
    sec.text.append(f"{cfg.model.upper()} fibre orientations, {cfg.algorithm} tracking from "
                    f"{s['n_seeds']} seeds ({cfg.seeds_per_voxel} per voxel, seeding '{cfg.seeding}'), "
                    f"stopping '{cfg.stopping}' (FA {cfg.stop_fa_threshold}), step {cfg.step_size_mm} mm, "
                    f"max angle {cfg.max_angle_deg} deg; {s['n_tracked']} streamlines tracked, "
                    f"{s['n_streamlines']} kept with length in [{cfg.min_length_mm}, {cfg.max_length_mm}] mm.")
    if tr.response is not None:
        ev = tr.response[0]
        sec.text.append(f"CSD response from {tr.response_voxels} voxels with FA >= "
                        f"{tr.response_fa_threshold:.2f}: eigenvalues {ev[0]:.2e}, {ev[1]:.2e}, {ev[2]:.2e} mm^2/s.")
    sec.tables.append(("Wall time per stage (s)", [{k: round(v, 3) for k, v in tr.stage_seconds.items()}]))
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for axis, (ax, name) in enumerate(zip(axes, ("sagittal", "coronal", "axial"))):
        plot_fa_slice(tr.tensor.fa, axis=axis, ax=ax, title=f"FA, middle {name} slice (voxel axis {axis})")
    sec.figures.append(figures.save(fig, "fa", "Fractional anisotropy, middle slice along each voxel axis."))
    ax = plot_streamlines_slice(tr.streamlines, inp.grid_affine, tr.tensor.fa, axis=2)
    sec.figures.append(figures.save(ax.figure, "streamlines", "Streamlines projected on the middle axial FA slice."))
    return sec


def _connectivity_section(con, figures) -> Section:
    from ..connectomics.dmri.plotting import plot_connectivity_matrix

    sec = Section("connectivity", "Structural connectivity")
    n = con.n_streamlines
    sec.text.append(f"{n} streamlines; {con.n_assigned} have both end points in a region: "
                    f"{con.n_assigned - con.n_self} join two different regions and {con.n_self} start and end "
                    f"in the same region (self-connections{'' if con.include_diagonal else ', left off the diagonal'}"
                    f"); {n - con.n_assigned} have an end point outside every region. End-point search radius "
                    f"{con.radial_search_mm:g} mm. Normalised counts divide by sqrt(volume_i * volume_j) "
                    "in voxels.")
    ax = plot_connectivity_matrix(con.counts, con.names)
    sec.figures.append(figures.save(ax.figure, "connectivity_matrix", "Streamline counts between regions (log "
                                    "scale)."))
    rows = sorted(con.edges(), key=lambda r: -r["count"])[:25]
    sec.tables.append(("Strongest edges (at most 25)", rows))
    return sec


def _graph_section(con, gm, weight: str, figures) -> Section:
    from ..connectomics.dmri.plotting import plot_connectome_graph

    sec = Section("graph", f"Graph measures (weights: {weight})")
    sec.text.append(f"Weighted path lengths and efficiencies take the distance of an edge as 1 / weight, so "
                    f"the weighted global efficiency is in {_weight_unit(weight)} (a mean of weights along "
                    "shortest paths), not a number in [0, 1]; the binary efficiency is dimensionless. "
                    + (f"Small-world sigma: {gm.small_world_note}." if gm.small_world_note else ""))
    sec.text.append("Path lengths use 1/weight per edge; the characteristic path length averages only "
                    f"connected pairs ({gm.n_disconnected_pairs} ordered pairs have no path, "
                    f"{gm.n_components} components); efficiencies count unconnected pairs as 0. "
                    f"Small-worldness and the normalised rich club use {gm.n_null} degree-preserving "
                    "rewired nulls.")
    sec.tables.append(("Whole-graph measures", [{
        "char. path length": gm.char_path_length, "char. path length (binary)": gm.char_path_length_binary,
        "global efficiency": gm.global_efficiency, "mean local efficiency": float(gm.local_efficiency.mean()),
        "mean clustering": float(gm.clustering.mean()), "modularity (Louvain)": gm.modularity,
        "communities": len(gm.communities),
        "small-world sigma": gm.small_world_sigma if np.isfinite(gm.small_world_sigma) else "undefined"}]))
    sec.tables.append(("Per region", [{"region": name, "degree": int(gm.degree[i]), "strength": gm.strength[i],
                                       "clustering": gm.clustering[i], "local efficiency": gm.local_efficiency[i]}
                                      for i, name in enumerate(con.names)][:60]))
    ax = plot_connectome_graph(getattr(con, weight), con.names, communities=gm.communities, seed=gm.seed)
    sec.figures.append(figures.save(ax.figure, "connectome_graph", "Spring layout; edge width ~ weight, node size ~ "
                                    "strength, colour = Louvain community."))
    return sec


def _phantom_section(score) -> Section:
    return Section("phantom", "Phantom: accuracy against the known wiring", text=[
        (f"{100 * score.fraction_true:.1f} % of all streamlines join truly connected regions "
         f"({100 * score.fraction_true_of_assigned:.1f} % of those joining two regions); "
         f"{score.true_edges_found}/{score.n_true_edges} true connections found; "
         f"{len(score.false_edges)} false edges carrying {score.false_edge_streamlines} streamlines.")])


def _weight_unit(weight: str) -> str:
    return {"counts": "streamlines", "normalized": "streamlines per voxel (count / sqrt(volume_i volume_j))"
            }.get(weight, weight)


def connectome_key_numbers(con, gm, weight: str, source: str = "") -> dict:
    """The key numbers of a connectome as typed quantities.

    Parameters
    ----------
    con : Connectome
        Counts and assignment of the streamlines.
    gm : GraphMetrics
        Graph measures of the matrix ``weight``.
    weight : {"counts", "normalized"}
        The matrix the graph measures used.
    source : str
        The input, named in the streamline count's note.

    Returns
    -------
    dict of str to Quantity
    """
    n = con.n_streamlines
    sigma = gm.small_world_sigma
    return {
        "n_streamlines": quantity("streamlines", n, "1", note=f"input: {source}") if source else
        quantity("streamlines", n, "1"),
        "n_between_regions": count("streamlines joining two different regions", con.n_assigned - con.n_self,
                                   n, "streamlines"),
        "n_self": count("streamlines starting and ending in one region (self-connections)", con.n_self, n,
                        "streamlines"),
        "n_regions": quantity("regions", len(con.names), "1"),
        "n_edges": quantity("edges (region pairs joined by >= 1 streamline)",
                            int(np.count_nonzero(np.triu(con.counts, 1))), "1"),
        "n_components": quantity("connected components", gm.n_components, "1"),
        "modularity": quantity("modularity (Louvain)", gm.modularity, "1"),
        "global_efficiency_weighted": quantity(f"global efficiency, weighted ({weight}; distance = 1/weight)",
                                               gm.global_efficiency, _weight_unit(weight).split(" (")[0]),
        "global_efficiency_binary": quantity("global efficiency, binary", gm.global_efficiency_binary, "1"),
        "small_world_sigma": quantity("small-world sigma (binary)", sigma if np.isfinite(sigma) else None, "1",
                                      note=gm.small_world_note or None)}


def render(result, figures) -> list:
    """Report sections of a :class:`~.connectome.ConnectomeResult`: tracking, matrices, graph, phantom score.

    Parameters
    ----------
    result : ConnectomeResult
    figures : FigureWriter
        Saves the figures of the run.

    Returns
    -------
    list of Section
    """
    con, gm = result.connectome, result.graph
    sections = [_tracking_section(result, figures), _connectivity_section(con, figures),
                _graph_section(con, gm, result.params.weight, figures)]
    if result.phantom_score is not None:
        sections.append(_phantom_section(result.phantom_score))
    return sections

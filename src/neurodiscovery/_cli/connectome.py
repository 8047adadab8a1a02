"""``neurodiscovery connectome DWI --bvals F --bvecs F --labels L`` (or ``--tractogram T``, or
``--phantom SNR``): structural connectome, graph measures and a report."""
from __future__ import annotations

NAME = "connectome"
HELP = ("diffusion MRI -> tractography -> parcellated structural connectome -> graph measures; "
        "writes the matrix (CSV + NPY), graph metrics, figures and report.html")


def add_arguments(p) -> None:
    from ._types import int_at_least, nonnegative_float, positive_float

    p.add_argument("dwi", nargs="?", default=None, help="diffusion-weighted NIfTI (.nii/.nii.gz)")
    p.add_argument("--bvals", help="b-values text file (FSL layout)")
    p.add_argument("--bvecs", help="gradient directions text file (FSL layout, 3 x n or n x 3)")
    p.add_argument("--tractogram", help="existing .trk/.tck/.trx instead of a DWI")
    p.add_argument("--phantom", type=positive_float, metavar="SNR", default=None,
                   help="use the built-in phantom at this SNR and score it against its known wiring")
    p.add_argument("--labels", help="label volume (parcellation) on the DWI grid / in the tractogram's "
                   "space; 'grid:N' with --tractogram for an N x N x N box parcellation")
    p.add_argument("--reference", help="with --tractogram: the image it was tracked on (checked against "
                   "the tractogram's space and the labels' grid)")
    p.add_argument("--fa", help="with --tractogram: FA map on the labels' grid, for the mean FA per edge")
    p.add_argument("--lut", help="lookup table of region names ('id name' lines or 'id,name' CSV)")
    p.add_argument("--wm-mask", help="white-matter mask NIfTI for --stopping tissue and seeding")
    p.add_argument("--brain-mask", default="auto",
                   help="auto (default: a pre-masked volume's non-zero voxels; median_otsu where the volume "
                        "holds dark background; else every voxel), median_otsu, none (every voxel), or a mask NIfTI")
    p.add_argument("--model", choices=("csd", "csa"), default="csd", help="fibre orientations (default csd)")
    p.add_argument("--algorithm", choices=("deterministic", "probabilistic"), default="deterministic")
    p.add_argument("--seeding", choices=("wm", "mask"), default="wm",
                   help="seed white matter (FA >= --seed-fa) or the whole brain mask")
    p.add_argument("--seeds-per-voxel", type=int_at_least(1), default=2)
    p.add_argument("--seed-fa", type=nonnegative_float, default=0.3, help="FA threshold of white-matter seeding")
    p.add_argument("--stopping", choices=("fa", "tissue"), default="fa",
                   help="stop where FA < --stop-fa, or on leaving the white-matter mask")
    p.add_argument("--stop-fa", type=nonnegative_float, default=0.2)
    p.add_argument("--step-size", type=positive_float, default=0.5, help="tracking step in mm (default 0.5)")
    p.add_argument("--max-angle", type=positive_float, default=30.0, help="max turn per step in degrees")
    p.add_argument("--min-length", type=nonnegative_float, default=10.0, help="shortest streamline kept, mm")
    p.add_argument("--max-length", type=positive_float, default=250.0, help="longest streamline kept, mm")
    p.add_argument("--radial-search", type=nonnegative_float, default=0.0,
                   help="assign an unlabelled end point to the nearest region within this many mm")
    p.add_argument("--include-diagonal", action="store_true", help="keep self-connections")
    p.add_argument("--weight", choices=("counts", "normalized"), default="counts",
                   help="matrix the graph measures use (default counts)")
    p.add_argument("--n-null", type=int_at_least(0), default=20, help="rewired null graphs (default 20)")
    p.add_argument("--seed", type=int_at_least(0), default=0)
    p.add_argument("--out", default=None, help="run folder to create (default runs/<timestamp>-connectome)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar while tracking")


def main(args) -> int:
    from ..connectomics.dmri import TrackingConfig
    from ..pipeline.connectome import run_connectome

    named = args.brain_mask in ("auto", "median_otsu", "none")
    tracking = TrackingConfig(masking=args.brain_mask if named else "auto", model=args.model,
                              algorithm=args.algorithm, seeding=args.seeding,
                              seeds_per_voxel=args.seeds_per_voxel, seed_fa_threshold=args.seed_fa,
                              stopping=args.stopping, stop_fa_threshold=args.stop_fa,
                              step_size_mm=args.step_size, max_angle_deg=args.max_angle,
                              min_length_mm=args.min_length, max_length_mm=args.max_length, seed=args.seed)
    path = run_connectome(args.dwi, bvals=args.bvals, bvecs=args.bvecs, tractogram=args.tractogram,
                          labels=args.labels, lut=args.lut, reference=args.reference,
                          fa_map=args.fa, wm_mask=args.wm_mask,
                          brain_mask=None if named else args.brain_mask, phantom_snr=args.phantom,
                          tracking=tracking, radial_search_mm=args.radial_search,
                          include_diagonal=args.include_diagonal, weight=args.weight, n_null=args.n_null,
                          seed=args.seed, out=args.out, progress=not args.no_progress)
    print(f"run folder: {path}")
    return 0

"""Connectomics: reconstruction of neural circuits from imaging data (:mod:`.em` for electron
microscopy, :mod:`.dmri` for diffusion MRI structural connectomes)."""

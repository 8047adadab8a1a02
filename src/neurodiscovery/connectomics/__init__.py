"""Connectomics: reconstruction of neural circuits from imaging data (see :mod:`.em`)."""

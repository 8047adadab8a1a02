"""connectomics."""

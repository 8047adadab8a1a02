"""Internal helpers shared by every layer: errors, validation, random state, run folders."""

"""``neurodiscovery latents FILE --method ...``: latent structure of a recording, scored on held-out data.

Options are generated from :class:`neurodiscovery.pipeline.latents.LatentsParams`.
"""
from __future__ import annotations

from ._command import cli_command

NAME, HELP, add_arguments, main = cli_command("latents", progress_option=False)

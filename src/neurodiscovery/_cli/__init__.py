"""Sub-commands of the ``neurodiscovery`` CLI, one module each.

Each module defines ``NAME`` (str), ``HELP`` (one line), ``add_arguments(parser)``
and ``main(args) -> int``. Modules keep heavy imports inside ``main`` so that
``neurodiscovery --help`` stays instant. :mod:`neurodiscovery.cli` discovers them.
"""

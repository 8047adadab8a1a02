"""A CLI sub-command generated from a registered :class:`~neurodiscovery.pipeline.command.Command`.

The options come from the command's parameters dataclass (no default is written here); ``main``
builds the parameters, calls :func:`~neurodiscovery.pipeline.command.execute` (the path a Python
user takes) and prints one line.
"""
from __future__ import annotations

import sys


def cli_command(name: str, progress_option: bool = True):
    """``(NAME, HELP, add_arguments, main)`` of the CLI module of command ``name``.

    Parameters
    ----------
    name : str
        A registered command.
    progress_option : bool
        Add ``--no-progress`` (progress lines go to stderr).
    """
    from ..pipeline.command import get_command

    cmd = get_command(name)

    def add_arguments(p) -> None:
        from .._utils.params import add_arguments as add

        add(p, cmd.params)
        if not hasattr(cmd, "run_file"):  # a FileCommand declares its own --out (the file it writes)
            p.add_argument("--out", default=None, help=f"run folder to create (must not exist; default "
                                                       f"runs/<UTC>-{name})")
        if progress_option:
            p.add_argument("--no-progress", action="store_true", help="do not print progress lines")

    def main(args) -> int:
        from .._utils.params import from_namespace
        from ..pipeline.command import execute

        params = from_namespace(cmd.params, args)
        quiet = not progress_option or args.no_progress
        progress = None if quiet else (lambda s: print(s, file=sys.stderr, flush=True))
        res = execute(cmd, params, out=None if hasattr(cmd, "run_file") else args.out, progress=progress)
        print(res.line)
        return 0

    return cmd.name, cmd.help, add_arguments, main


def cli_group(name: str, help: str, extra: dict | None = None, more: dict | None = None):
    """``(NAME, HELP, add_arguments, main)`` of a CLI command whose sub-commands are registered commands.

    ``neurodiscovery em segment ...`` runs the registered command ``em-segment``: the sub-commands are the
    commands of :data:`~neurodiscovery.pipeline.command.GROUPS` ``[name]``, each with the options of
    :func:`cli_command`.

    Parameters
    ----------
    name : str
        The group (``em``, ``observer``).
    help : str
        One line for ``neurodiscovery --help``.
    extra : dict, optional
        Sub-commands that write no run folder: ``{sub: (help, add_arguments, main)}``.
    more : dict, optional
        ``{sub: add(parser)}``: hand-written aliases of generated options (old flag spellings).
    """
    from ..pipeline.command import GROUPS

    subs = {cmd[len(name) + 1:]: cli_command(cmd)[1:] for cmd in GROUPS[name]}
    subs.update(extra or {})
    dest = f"{name}_command"

    def add_arguments(parser) -> None:
        sub = parser.add_subparsers(dest=dest, metavar="{" + ",".join(subs) + "}")
        sub.required = True
        for word, (sub_help, add, sub_main) in subs.items():
            p = sub.add_parser(word, help=sub_help, description=sub_help)
            add(p)
            if word in (more or {}):
                more[word](p)
            p.set_defaults(_sub_main=sub_main)

    def main(args) -> int:
        return args._sub_main(args)

    return name, help, add_arguments, main


def cli_actions(name: str, help: str, default: str, actions: dict, preset: dict | None = None):
    """``(NAME, HELP, add_arguments, main)`` of a CLI command that runs without or with an action word.

    ``neurodiscovery NAME [options]`` runs the registered command ``default``; ``neurodiscovery NAME
    ACTION [options]`` runs ``actions[ACTION]`` with the options of its own parameters (``learn``,
    ``learn compare``, ``learn spiking``, ``learn continual``).

    Parameters
    ----------
    name : str
        The CLI word.
    help : str
        One line for ``--help``.
    default : str
        Registered command run without an action.
    actions : dict of str -> str
        Action word -> registered command.
    preset : dict of str -> dict, optional
        Action word -> parameter values it sets (``{"compare": {"rules": (...)}}``).
    """
    _, _, add_default, main_default = cli_command(default)
    subs = {word: cli_command(cname) for word, cname in actions.items()}

    def add_arguments(parser) -> None:
        add_default(parser)
        sub = parser.add_subparsers(dest="action", metavar="{" + ",".join(subs) + "}", required=False)
        for word, (_, sub_help, add, sub_main) in subs.items():
            p = sub.add_parser(word, help=sub_help, description=sub_help)
            add(p)
            p.set_defaults(_action_main=sub_main, **(preset or {}).get(word, {}))

    def main(args) -> int:
        return (getattr(args, "_action_main", None) or main_default)(args)

    return name, help, add_arguments, main

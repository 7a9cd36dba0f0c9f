"""Help labels a user reads: ``REF``, ``PATH``, ``INTEGER``; never ``<bool>`` or ``{ref}``.

typer derives its labels from Python annotations (``<str>``, ``<bool>`` beside a flag,
``{ref}`` in the usage line). One pass over the finished command tree gives every parameter
an explicit label instead, so no command has to repeat ``metavar=`` on each option.
"""

from __future__ import annotations

from typing import Any

import typer

_TYPES = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH", "bool": ""}


def _label(param: Any) -> None:
    if param.metavar is not None:
        return  # a command chose its own label (URL)
    if param.param_type_name == "argument":
        param.metavar = param.name.upper()
        label = _type_label(param)
        # The usage line shows the bare name, as `git` and `pip` do: `evaluate REF`, not `{ref}`.
        param.get_usage_pieces = lambda ctx: [param.metavar]
        param.display_type_rich = lambda ctx: label
    elif getattr(param, "is_flag", False):
        param.metavar = ""  # a flag takes no value: nothing to label
    else:
        param.metavar = _type_label(param)


def _type_label(param: Any) -> str:
    if param.type_descriptor.is_choice:
        return "|".join(
            str(getattr(choice, "value", choice)) for choice in param.type_descriptor.choices
        )
    bare = param.bare_type().removeprefix("list[").removesuffix("]")  # repeatable options
    return _TYPES.get(bare, bare.upper())


def relabel(command: Any) -> None:
    """Label every parameter of ``command`` and its subcommands, ``--help`` included."""
    for param in [*command.params, command.get_help_option(typer.Context(command))]:
        if param is not None:
            _label(param)
    for sub in getattr(command, "commands", {}).values():
        relabel(sub)

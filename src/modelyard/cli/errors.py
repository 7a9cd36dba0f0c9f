"""The one way the CLI reports a user error: ``error: ...`` on stderr, exit status 2.

A :class:`~modelyard.core.errors.ModelyardError` escaping any command is printed here by the
root group, so commands raise rather than print; a traceback means a bug.
"""

from __future__ import annotations

from modelyard.cli.context import err_console

USAGE_ERROR = 2


def print_error(message: str) -> None:
    """Each line of ``message`` as ``error: line`` on stderr, never read as rich markup."""
    for line in message.splitlines() or ["unknown error"]:
        err_console.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)

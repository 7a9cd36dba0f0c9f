"""Progress shown from a command's first moment, before the slow imports it is waiting for.

Loading scikit-learn, pandas and onnxruntime alone takes seconds on a small machine; a user
looking at a silent terminal for that long presses Ctrl-C. Commands open :func:`working`
first and import inside it. The display goes to stderr and disappears when done; on a
non-terminal (CI logs, pipes) nothing is drawn, so captured output stays clean.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text

from modelyard.cli.context import err_console


class _Count(ProgressColumn):
    """``done/total`` once there is a total; nothing while only the spinner turns."""

    def render(self, task: Task) -> Text:
        return Text("" if task.total is None else f"{task.completed:.0f}/{task.total:.0f}")


@dataclass
class Step:
    """The running display: ``say`` changes what it says, ``advance`` moves its bar."""

    say: Callable[[str], None]
    advance: Callable[[], None]


@contextmanager
def working(description: str, steps: int = 0) -> Iterator[Step]:
    """A spinner saying ``description``; the first ``advance`` turns it into a bar of ``steps``."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        _Count(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as progress:
        task = progress.add_task(description, total=None)

        def say(text: str) -> None:
            progress.update(task, description=text)

        def advance() -> None:
            if progress.tasks[0].total is None:
                progress.update(task, description="bootstrap", total=steps, completed=0)
            progress.advance(task)

        yield Step(say, advance)

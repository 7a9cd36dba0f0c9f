"""The ``http`` runner: any remote JSON endpoint (Vertex AI, SageMaker, an in-house service).

The request body is ``request_template`` with placeholders replaced by the batch:
``"{rows}"`` (the single input as a list of rows), ``"{records}"`` (rows as
``{column: value}`` objects, by the signature's columns) and ``"{inputs}"`` (every input by
name). The answer is read at ``response_path`` — dot-separated keys and list indices, e.g.
``predictions`` or ``outputs.0.data`` — and becomes the output named ``output``. Vertex AI
takes ``{"instances": "{rows}"}``; SageMaker's JSON containers ``{"inputs": "{rows}"}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from pydantic import Field

from modelyard.core.errors import ConfigError
from modelyard.pipeline.dtypes import NUMPY
from modelyard.pipeline.runners.remote import RemoteArgs, RemoteClient, RemoteError
from modelyard.pipeline.types import Arrays, Context


class HttpArgs(RemoteArgs):
    """Where to send the batch, in what body, and where the predictions are in the answer."""

    path: str = Field("", description="appended to url, e.g. /v1/models/m:predict")
    method: Literal["POST", "PUT"] = "POST"
    request_template: Any = Field(default_factory=lambda: {"instances": "{rows}"})
    response_path: str = Field("predictions", min_length=1)
    output: str | None = Field(None, description="output name (default: the model's only one)")


class HttpRunner:
    """One request per batch; the answer must hold one prediction per row."""

    def __init__(self, args: HttpArgs, context: Context) -> None:
        signature = context.signature
        outputs = {spec.name: spec for spec in signature.outputs}
        if args.output is None and len(outputs) != 1:
            raise ConfigError(f"the model has several outputs ({', '.join(outputs)}): set output")
        self._output = args.output or next(iter(outputs))
        spec = outputs.get(self._output)
        self._dtype = NUMPY[spec.dtype] if spec is not None else None
        self._columns = [column.name for column in signature.columns]
        self._single = signature.inputs[0].name if len(signature.inputs) == 1 else None
        self._args = args
        self._path = [int(k) if k.isdigit() else k for k in args.response_path.split(".")]
        self._placeholders: dict[str, Callable[[Mapping[str, np.ndarray]], Any]] = {
            "{rows}": self._rows,
            "{records}": self._records,
            "{inputs}": lambda feeds: {name: array.tolist() for name, array in feeds.items()},
        }
        used = _strings_in(args.request_template) & set(self._placeholders)
        if not used:
            raise ConfigError(f"request_template uses none of {', '.join(self._placeholders)}")
        if used & {"{rows}", "{records}"} and self._single is None:
            raise ConfigError("'{rows}' and '{records}' need a model with one input")
        if "{records}" in used and not self._columns:
            raise ConfigError("'{records}' needs the signature's column names")
        self._client = RemoteClient(args)

    def load(self) -> None:
        """Open the connection pool (generic endpoints have no standard readiness probe)."""
        self._client.open()

    def run(self, feeds: Mapping[str, np.ndarray]) -> Arrays:
        """Send the batch through the template; the answer at ``response_path`` is the output."""
        body = self._fill(self._args.request_template, feeds)
        answer = self._client.post_json(self._args.path, body, self._args.method)
        found: Any = answer
        for step, key in enumerate(self._path):
            try:
                found = found[key]
            except (KeyError, IndexError, TypeError):
                walked = ".".join(str(k) for k in self._path[: step + 1])
                raise RemoteError(
                    f"{self._args.url}{self._args.path} answered without {walked!r} "
                    f"(response_path {self._args.response_path!r})"
                ) from None
        rows = len(next(iter(feeds.values())))
        values = np.asarray(found, dtype=self._dtype)
        if values.ndim == 0 or len(values) != rows:
            got = "a scalar" if values.ndim == 0 else f"{len(values)} predictions"
            raise RemoteError(f"{self._args.url}{self._args.path} answered {got} for {rows} rows")
        return {self._output: values}

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def _fill(self, template: Any, feeds: Mapping[str, np.ndarray]) -> Any:
        if isinstance(template, str) and template in self._placeholders:
            return self._placeholders[template](feeds)
        if isinstance(template, dict):
            return {key: self._fill(value, feeds) for key, value in template.items()}
        if isinstance(template, list):
            return [self._fill(value, feeds) for value in template]
        return template

    def _rows(self, feeds: Mapping[str, np.ndarray]) -> Any:
        return feeds[str(self._single)]

    def _records(self, feeds: Mapping[str, np.ndarray]) -> Any:
        rows = feeds[str(self._single)].tolist()
        return [dict(zip(self._columns, row, strict=True)) for row in rows]


def _strings_in(template: Any) -> set[str]:
    """Every string anywhere in a JSON-like template."""
    if isinstance(template, str):
        return {template}
    if isinstance(template, dict):
        template = list(template.values())
    if isinstance(template, list):
        return set().union(*(_strings_in(value) for value in template))
    return set()

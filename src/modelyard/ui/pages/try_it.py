"""``/ui/try``: every endpoint, and ``/ui/try/{id}``: a form made from the model's signature
that calls the endpoint's real predict route.

One input per feature, with its type and the training range (from the package's data
profile) as a hint, prefilled with the first row of the version's stored reference sample,
else the profile's medians and most frequent categories. An image endpoint gets a file
picker. The form's script (``static/try.js``) posts to ``POST /endpoints/{id}/predict`` as any
client would, so what it shows (the answer, the model version, the ``Server-Timing`` stages,
the server's 422 messages next to their fields) is exactly what a client gets; the form
itself checks nothing, the server is the one judge of a value.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from modelyard.package.manifest import ColumnSpec, FeatureProfile, Manifest
from modelyard.pipeline.encoders.image import ImageEncoder
from modelyard.ui.context import UiContext
from modelyard.ui.templates import render

if TYPE_CHECKING:
    from modelyard.serving.served import ServedEndpoint

Kind = Literal["number", "integer", "text", "category", "boolean"]

_KINDS: dict[str, Kind] = {
    "float32": "number",
    "float64": "number",
    "int32": "integer",
    "int64": "integer",
    "uint8": "integer",
    "bool": "boolean",
    "string": "text",
}


@dataclass
class Field:
    """One input of the form: the key the server's problems point at, and what to show."""

    key: str
    label: str
    kind: Kind
    dtype: str
    value: str
    hint: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class Form:
    """How an endpoint takes one instance: named fields (``records``), positional ones
    (``rows``), an image file (``image``), or nothing the form can build (``none``)."""

    layout: Literal["records", "rows", "image", "none"]
    fields: list[Field]
    prefill: str
    """Where the values come from, for the visitor."""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _hint(profile: FeatureProfile | None, source: str) -> str:
    """The range (numbers) or the most frequent values (categories) of the ``source`` data
    the profile was made from: ``training`` data, or only the ``sample`` given to log it."""
    if profile is None:
        return ""
    if profile.numeric is not None:
        numeric = profile.numeric
        median = numeric.quantiles.get("p50", numeric.mean)
        return f"{source} range {numeric.min:.4g} to {numeric.max:.4g}, median {median:.4g}"
    if profile.categorical is not None:
        top = list(profile.categorical.top)[:5]
        more = ", …" if profile.categorical.unique > len(top) else ""
        return f"{source} values {', '.join(top)}{more}"
    return ""


def _typical(profile: FeatureProfile | None) -> str:
    """The profile's median (numbers) or most frequent value (categories)."""
    if profile is None:
        return ""
    if profile.numeric is not None:
        return f"{profile.numeric.quantiles.get('p50', profile.numeric.mean):g}"
    if profile.categorical is not None and profile.categorical.top:
        return next(iter(profile.categorical.top))
    return ""


@lru_cache(maxsize=64)
def _reference_row(folder: str, file: str) -> dict[str, Any] | None:
    """The first row of a package's reference sample (its files verified when it loaded);
    ``None`` where pyarrow, the file or a row is missing."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    try:
        first = next(pq.ParquetFile(Path(folder) / file).iter_batches(batch_size=1), None)
    except (OSError, ValueError):
        return None
    rows = first.to_pylist() if first is not None else []
    return rows[0] if rows else None


def _column_field(
    column: ColumnSpec, label: str, profile: FeatureProfile | None, source: str
) -> Field:
    kind = _KINDS.get(column.dtype, "text")
    options: list[str] = []
    if column.categorical and profile is not None and profile.categorical is not None:
        kind, options = "category", list(profile.categorical.top)
    elif kind == "boolean":
        options = ["true", "false"]
    return Field(column.name, label, kind, column.dtype, "", _hint(profile, source), options)


def tabular_form(manifest: Manifest, package_dir: str | None) -> Form:
    """The fields of one instance, prefilled from the reference sample or the profile."""
    signature = manifest.signature
    profiles = {p.name: p for p in manifest.profile.features} if manifest.profile else {}
    source = (
        "training" if manifest.profile is None or manifest.profile.source == "train" else "sample"
    )
    if signature.columns:
        layout: Literal["records", "rows"] = "records"
        fields = [_column_field(c, c.name, profiles.get(c.name), source) for c in signature.columns]
        names = [c.name for c in signature.columns]
    elif len(signature.inputs) == 1 and len(signature.inputs[0].shape) == 2:
        width = signature.inputs[0].shape[1]
        if width is None:
            return Form("none", [], "")
        layout = "rows"
        names = list(profiles) if len(profiles) == width else [str(i) for i in range(width)]
        dtype = signature.inputs[0].dtype
        fields = [
            _column_field(
                ColumnSpec(name=str(i), dtype=dtype), names[i], profiles.get(names[i]), source
            )
            for i in range(width)
        ]
    else:
        return Form("none", [], "")
    row = None
    if manifest.reference is not None and package_dir is not None:
        row = _reference_row(package_dir, manifest.reference.file)
    for name, one in zip(names, fields, strict=True):
        one.value = _text(row.get(name)) if row is not None else _typical(profiles.get(name))
        if one.options and one.value and one.value not in one.options:
            one.options.insert(0, one.value)
    prefill = (
        "the first row of this version's reference sample"
        if row is not None
        else f"the {source} data's medians and most frequent values"
        if profiles
        else "nothing (this version keeps no data profile)"
    )
    return Form(layout, fields, prefill)


def endpoint_form(served: ServedEndpoint) -> Form:
    """The form of ``served``'s primary variant (an image file, or its tabular fields)."""
    pipeline = served.primary.pipeline
    if isinstance(pipeline.encoder, ImageEncoder):
        return Form("image", [], "")
    folder = pipeline.context.package_dir
    return tabular_form(pipeline.manifest, str(folder) if folder is not None else None)


def _layout(served: ServedEndpoint) -> str:
    """What the list says an endpoint takes, without reading its reference sample."""
    if isinstance(served.primary.pipeline.encoder, ImageEncoder):
        return "image"
    return tabular_form(served.primary.pipeline.manifest, None).layout


def _needs_token(served: ServedEndpoint) -> bool:
    auth = served.spec.auth
    return auth is not None and auth.predict == "required"


def add_routes(router: APIRouter, ui: UiContext) -> None:
    """The list of endpoints and each endpoint's form."""

    @router.get("/try")
    async def endpoints(request: Request) -> HTMLResponse:
        served = sorted(ui.live.current.values(), key=lambda s: s.id) if ui.live else None
        kinds = {s.id: _layout(s) for s in served or []}
        return render(request, "try.html", served=served, kinds=kinds, needs_token=_needs_token)

    @router.get("/try/{endpoint}")
    async def endpoint_page(request: Request, endpoint: str) -> HTMLResponse:
        if ui.live is None:
            return render(request, "try.html", served=None, kinds={}, needs_token=_needs_token)
        served = ui.live.current.get(endpoint)
        if served is None:
            known = ", ".join(sorted(ui.live.current)) or "(none)"
            return render(
                request, "try_missing.html", status=404,
                message=f"no endpoint of that name; endpoints: {known}",
            )  # fmt: skip
        primary = served.primary
        form = await asyncio.to_thread(endpoint_form, served)  # pyarrow reads the reference
        return render(
            request,
            "try_endpoint.html",
            endpoint=served.id,
            model=f"{primary.model_name}:{primary.version}",
            variants=len(served.variants),
            form=form,
            needs_token=_needs_token(served),
        )

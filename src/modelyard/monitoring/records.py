"""Buffered records → the prediction log's columns (see :mod:`modelyard.monitoring.columns`).

Runs in the writer thread, holding the GIL as little as it can: a group's feeds are
concatenated once and each column leaves numpy with one ``tolist()``; only the formatted
answers (already Python dicts) are walked per record. V2 answers are raw runner outputs:
they are finished here with the variant's own pipeline, so a V2 request logs the same output
columns as a native one.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from modelyard.monitoring.capture import Record
from modelyard.monitoring.columns import FIXED, Kind, input_column, output_column
from modelyard.package.manifest import Signature

Columns = dict[str, list[Any]]
Kinds = dict[str, Kind]

_KINDS: dict[str, Kind] = {"f": "float", "i": "int", "u": "int", "b": "bool"}


def to_columns(
    endpoint: str, records: Sequence[Record], *, image: bool = False
) -> tuple[Columns, Kinds]:
    """The columns of ``records``, one row per instance.

    The records are of one endpoint and one variant, and either all answered (inputs and
    outputs logged) or all failed (fixed columns only): the writer groups them so.
    """
    variant = records[0].variant
    counts = [_instances(r) for r in records]
    total = sum(counts)
    kinds: Kinds = dict(FIXED)
    per_record: Columns = {
        "time": [datetime.fromtimestamp(r.time, UTC) for r in records],
        "request_id": [r.request_id for r in records],
        "status": [r.status for r in records],
        "latency_ms": [r.latency_s * 1000 for r in records],
        "error": [r.error for r in records],
    }
    columns: Columns = {name: [] for name in FIXED}
    if total == len(records):  # one instance a request, the usual case: no repeating
        columns |= per_record
        columns["instance"] = [0] * total
    else:
        for name, values in per_record.items():
            columns[name] = [v for v, n in zip(values, counts, strict=True) for _ in range(n)]
        columns["instance"] = [i for n in counts for i in range(n)]
    columns["endpoint"] = [endpoint] * total
    columns["variant"] = [None if variant is None else variant.name] * total
    columns["model"] = [None if variant is None else variant.model_name] * total
    columns["version"] = [None if variant is None else int(variant.version)] * total
    if records[0].status != 200:
        return columns, kinds
    inputs = (
        _image_inputs(records)
        if image
        else _tabular_inputs(records, variant.pipeline.context.signature)
    )
    for name, (values, kind) in {**inputs, **_outputs(records, variant)}.items():
        columns[name] = values
        kinds[name] = kind
    return columns, kinds


def _instances(record: Record) -> int:
    """How many log rows a record gives: one per answered instance, one for a failure."""
    if record.status != 200:
        return 1
    return len(record.answer) if isinstance(record.answer, list) else _rows(record.answer)


def _rows(arrays: dict[str, np.ndarray]) -> int:
    return len(next(iter(arrays.values())))


def stacked_feeds(records: Sequence[Record]) -> dict[str, np.ndarray]:
    """Every answered record's feeds, concatenated input by input."""
    names = records[0].inputs.keys()
    return {name: np.concatenate([r.inputs[name] for r in records]) for name in names}


def feature_arrays(feeds: dict[str, np.ndarray], signature: Signature) -> dict[str, np.ndarray]:
    """One 1-D array per feature: a stacked numeric input split into the signature's
    columns (in order), or each column's own input; without columns, each input's
    positions are ``<input>_<j>`` (or the input's name when it has one value a row)."""
    single = signature.inputs[0] if len(signature.inputs) == 1 else None
    if signature.columns and single is not None and single.dtype != "string":
        matrix = feeds[single.name].reshape(len(feeds[single.name]), -1)
        return {c.name: matrix[:, j] for j, c in enumerate(signature.columns)}
    if signature.columns:
        return {c.name: feeds[c.name].reshape(-1) for c in signature.columns if c.name in feeds}
    found = {}
    for name, array in feeds.items():
        matrix = array.reshape(len(array), -1)
        if matrix.shape[1] == 1:
            found[name] = matrix[:, 0]
        else:
            found.update({f"{name}_{j}": matrix[:, j] for j in range(matrix.shape[1])})
    return found


def _tabular_inputs(records: Sequence[Record], signature: Signature) -> dict[str, Any]:
    features = feature_arrays(stacked_feeds(records), signature)
    columns = {}
    for name, values in features.items():
        kind = _KINDS.get(values.dtype.kind, "str")
        listed = values.tolist()
        if kind == "float":  # NaN is a missing value: None in the log
            mask = np.isnan(values)
            if mask.any():
                listed = [None if m else v for v, m in zip(listed, mask.tolist(), strict=True)]
        elif kind == "str":
            listed = [None if v is None else str(v) for v in listed]
        columns[input_column(name)] = (listed, kind)
    return columns


def _image_inputs(records: Sequence[Record]) -> dict[str, Any]:
    """Each image's SHA-256 and size in bytes (the pixels are never logged)."""
    images = [image for r in records for image in _images(r.inputs)]
    return {
        input_column("sha256"): ([hashlib.sha256(i).hexdigest() for i in images], "str"),
        input_column("bytes"): ([len(i) for i in images], "int"),
    }


def _images(payload: Any) -> list[bytes]:
    """The image bytes of a payload: a raw body, multipart parts, or base64 instances."""
    if isinstance(payload, bytes):
        return [payload]
    if isinstance(payload, list) and all(isinstance(p, bytes) for p in payload):
        return payload
    instances = payload.get("instances", []) if isinstance(payload, dict) else payload
    return [base64.b64decode(item["b64"] if isinstance(item, dict) else item) for item in instances]


def _outputs(records: Sequence[Record], variant: Any) -> dict[str, Any]:
    """``output.<key>[.<name>]`` of every answered instance, in record order."""
    raw = [r for r in records if not isinstance(r.answer, list)]
    finished: list[Any] = []
    if raw:  # V2 rows: finished once for all, with the variant's own pipeline
        names = raw[0].answer.keys()
        arrays = {n: np.concatenate([r.answer[n] for r in raw]) for n in names}
        finished = variant.pipeline.finish(arrays)
    taken = iter(finished)
    predictions = []
    for record in records:
        if isinstance(record.answer, list):
            predictions += record.answer
        else:
            predictions += [next(taken) for _ in range(_rows(record.answer))]
    columns: dict[str, Any] = {}
    first = predictions[0] if predictions else {}
    for key, sample in first.items() if isinstance(first, dict) else ():
        if isinstance(sample, dict):
            for name in sample:
                values = [p[key][name] for p in predictions]
                columns[output_column(key, str(name))] = (values, _kind_of(sample[name]))
        elif not isinstance(sample, list):  # lists (top-k) repeat the probabilities
            columns[output_column(key)] = ([p[key] for p in predictions], _kind_of(sample))
    return columns


def _kind_of(value: Any) -> Kind:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"

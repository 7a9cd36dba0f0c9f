"""The reference sample: training feature rows kept in the package, for drift.

Drift is measured against what the version stores, never against a training file that must
still exist. The profile's histograms are too coarse for Evidently's tests (Kolmogorov-Smirnov
and Wasserstein need the values), so the package keeps at most 10,000 training rows as
``reference.parquet``, listed and hashed like every package file. The draw is seeded with a
fixed seed, recorded in the manifest: the same training data gives the same bytes, hence the
same package digest.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from modelyard.core.extras import missing_extra
from modelyard.package.manifest import ReferenceSample

REFERENCE_FILE = "reference.parquet"
MAX_ROWS = 10_000
SEED = 20_241_201


def reference_rows(features: pd.DataFrame) -> pd.DataFrame:
    """All rows when there are at most :data:`MAX_ROWS`, else a seeded draw of that many."""
    if len(features) <= MAX_ROWS:
        return features.reset_index(drop=True)
    return features.sample(n=MAX_ROWS, random_state=SEED).reset_index(drop=True)


def write_reference(folder: Path, features: pd.DataFrame) -> ReferenceSample:
    """Write the reference sample of ``features`` into ``folder`` and describe it."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as error:
        raise missing_extra(error, "keeping the reference sample") from None
    rows = reference_rows(features)
    rows.columns = [str(column) for column in rows.columns]
    table = pa.Table.from_pandas(rows, preserve_index=False)
    pq.write_table(table, folder / REFERENCE_FILE)
    return ReferenceSample(
        file=REFERENCE_FILE, rows=len(rows), source_rows=len(features), seed=SEED
    )

"""Traffic for the drift tests: rows drawn from a population, some features shifted.

Rows are drawn seeded and with replacement from the population the reference came from, so
"unshifted" means what it says; a shifted feature moves by a multiple of its standard
deviation in the drawn rows.
"""

from __future__ import annotations

import pandas as pd


def traffic(population: pd.DataFrame, rows: int = 1000, seed: int = 0) -> pd.DataFrame:
    """``rows`` rows of ``population``, drawn with replacement (seeded)."""
    return population.sample(rows, replace=True, random_state=seed).reset_index(drop=True)


def shift(frame: pd.DataFrame, columns: list[str], sigmas: float = 3.0) -> pd.DataFrame:
    """``frame`` with each of ``columns`` moved by ``sigmas`` of its standard deviation."""
    shifted = frame.copy()
    for column in columns:
        shifted[column] = shifted[column] + sigmas * frame[column].std()
    return shifted

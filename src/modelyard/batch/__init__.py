"""Batch scoring: files of rows answered through the very pipeline an endpoint serves.

Offline and online predictions are identical by construction: each chunk goes through the
version's encoder, runner, postprocessors and formatter, as a request would. Needs pandas and
pyarrow (``pip install 'modelyard[batch]'``).
"""

from modelyard.batch.run import Summary, TooManyRejectsError, score

__all__ = ["Summary", "TooManyRejectsError", "score"]

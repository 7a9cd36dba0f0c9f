"""An image endpoint scores a folder or glob of image files: one row per file, its path
kept, each image through the version's image encoder; a file that is no image is rejected
with the message the server gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from batchtools import Models
from sklearn.datasets import load_digits

import modelyard
from modelyard.core.errors import PayloadError
from modelyard.demo import digit_png
from modelyard.pipeline import Endpoint
from modelyard.registry import Registry


def test_a_folder_of_images_is_scored_one_row_per_file(
    models: Models, registry: Registry, tmp_path: Path
) -> None:
    digits = load_digits()
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(12):
        (folder / f"digit-{i:02d}.png").write_bytes(digit_png(digits.data[i]))
    (folder / "digit-05b.png").write_bytes(b"not an image at all")
    summary = modelyard.score(
        "digits-is-3",
        endpoints=models.endpoints_file,
        input=str(folder / "*.png"),
        output=tmp_path / "scores.csv",
        chunk_rows=5,
        workers=1,
        registry=registry,
    )
    assert (summary.rows, summary.rejects) == (12, 1)
    scored = pd.read_csv(tmp_path / "scores.csv")
    assert scored["path"].tolist() == [str(folder / f"digit-{i:02d}.png") for i in range(12)]
    endpoint = Endpoint.from_yaml(models.endpoints_file, "digits-is-3", registry)
    for i, row in scored.iterrows():
        answer = endpoint.predict({"instances": [digit_png(digits.data[i])]})["predictions"][0]
        assert row["label"] == answer["label"]
        assert row["score"] == answer["score"]
    rejects = pd.read_csv(tmp_path / "scores.rejects.csv")
    assert rejects["row"].tolist() == [6]
    assert rejects["path"].tolist() == [str(folder / "digit-05b.png")]
    with pytest.raises(PayloadError) as refused:
        endpoint.predict({"instances": [b"not an image at all"]})
    endpoint.close()
    assert rejects["error"].item() == str(refused.value)
    assert rejects["error"].item().startswith("payload does not fit the signature: /instances/0:")

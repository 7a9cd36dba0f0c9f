"""Batch answers equal a real server's answers for the same rows, field by field, and a
refused row carries the very message the server answers it with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from batchtools import Models

import modelyard
from modelyard.registry import Registry
from serving.servertools import RunningServer, start_server

BAD_ROWS = (7, 300)  # a missing value where training had none


@pytest.fixture(scope="module")
def server(models: Models, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(models.demo, models.endpoints_file, tmp_path_factory.mktemp("srv"))
    yield running
    running.stop()


def _server_answers(server: RunningServer, rows: pd.DataFrame) -> list[httpx.Response]:
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    url = f"{server.url}/endpoints/breast-cancer/predict"
    with httpx.Client(timeout=30) as client:
        return [client.post(url, json={"instances": [record]}) for record in records]


def test_every_field_equals_the_servers_answer_and_rejects_carry_its_message(
    server: RunningServer, registry: Registry, cancer_rows: pd.DataFrame, tmp_path: Path
) -> None:
    rows = cancer_rows.copy()
    rows.loc[list(BAD_ROWS), "mean radius"] = np.nan
    rows.to_parquet(tmp_path / "rows.parquet")
    summary = modelyard.score(
        "breast_cancer@production",
        input=tmp_path / "rows.parquet",
        output=tmp_path / "scores.parquet",
        keep=["id"],
        chunk_rows=128,
        workers=1,
        registry=registry,
    )
    assert (summary.rows, summary.rejects) == (569 - len(BAD_ROWS), len(BAD_ROWS))
    responses = _server_answers(server, rows.drop(columns="id"))
    scored = pd.read_parquet(tmp_path / "scores.parquet").set_index("id")
    rejects = pd.read_parquet(tmp_path / "scores.rejects.parquet")
    assert rejects["row"].tolist() == list(BAD_ROWS)
    assert rejects["id"].tolist() == list(BAD_ROWS)
    for row, response in enumerate(responses):
        if row in BAD_ROWS:
            assert response.status_code == 422
            message = rejects.loc[rejects["row"] == row, "error"].item()
            assert message == response.json()["error"]
            assert "/instances/0/mean radius" in message
            continue
        body = response.json()
        answer = body["predictions"][0]
        got = scored.loc[row]
        assert got["label"] == answer["label"]
        assert got["score"] == answer["score"]
        assert got["probabilities.0"] == answer["probabilities"]["0"]
        assert got["probabilities.1"] == answer["probabilities"]["1"]
        assert (got["model_name"], got["model_version"]) == (
            body["model"]["name"],
            body["model"]["version"],
        )

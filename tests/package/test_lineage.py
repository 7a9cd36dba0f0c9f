"""Lineage records the code (git) and data (fingerprints, DVC, split) a model came from."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.api import package_model
from modelyard.core.hashing import data_fingerprint
from modelyard.package.builder import build_package
from modelyard.package.datasets import labeled
from modelyard.package.lineage import git_info, split_info

Out = Callable[[str], Path]


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with one commit of ``train.py`` on branch ``main``."""
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("print('train')\n")
    _git(root, "add", "train.py")
    _git(root, "commit", "-q", "-m", "first")
    return root


def test_clean_repository_records_commit_and_branch(repo: Path) -> None:
    info = git_info(repo)
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()

    assert info is not None
    assert (info.commit, info.branch, info.dirty, info.changed_files) == (head, "main", False, [])


def test_dirty_repository_lists_changed_and_new_files(repo: Path) -> None:
    (repo / "train.py").write_text("print('changed')\n")
    (repo / "notes.txt").write_text("new\n")

    info = git_info(repo)

    assert info is not None and info.dirty
    assert sorted(info.changed_files) == ["notes.txt", "train.py"]


def test_remote_is_recorded_without_credentials(repo: Path) -> None:
    _git(repo, "remote", "add", "origin", "https://user:secret@example.com/team/models.git")

    info = git_info(repo)

    assert info is not None and info.remote == "https://example.com/team/models.git"


def test_outside_a_repository_there_is_no_git_info(tmp_path: Path) -> None:
    assert git_info(tmp_path) is None


def test_build_records_the_callers_repository(
    iris, repo: Path, out: Out, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    (repo / "train.py").write_text("print('uncommitted')\n")
    model = LogisticRegression(max_iter=500).fit(iris.X_train, iris.y_train)

    manifest = build_package(
        model, "iris", out("pkg"), sample=iris.X_test.head(3), params={"seed": 7}
    )

    assert manifest.lineage.git is not None
    assert manifest.lineage.git.dirty and manifest.lineage.git.changed_files == ["train.py"]
    assert manifest.lineage.params == {"seed": 7}
    assert manifest.lineage.created_at.tzinfo is not None


def test_dataframe_fingerprint_covers_all_rows(iris) -> None:
    train = labeled(iris.frame("train"), "target", "train")

    assert train.fingerprint.sha256 == data_fingerprint(iris.frame("train"))
    assert train.fingerprint.rows == len(iris.X_train)
    assert train.fingerprint.columns[-1] == "target"


def test_file_dataset_records_sha256_and_dvc_md5(iris, tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    iris.frame("train").to_csv(path, index=False)
    (tmp_path / "train.csv.dvc").write_text(
        "outs:\n- md5: 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d\n  size: 2048\n  path: train.csv\n"
    )

    fingerprint = labeled(path, "target", "train").fingerprint

    assert fingerprint.dvc_md5 == "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"
    assert fingerprint.source == str(path)
    assert len(fingerprint.sha256) == 64


def test_split_fingerprints_ignore_row_order(breast_cancer) -> None:
    train, test = breast_cancer.frame("train"), breast_cancer.frame("test")
    shuffled = train.sample(frac=1.0, random_state=1)

    first = split_info(labeled(train, "target", "train"), labeled(test, "target", "test"))
    second = split_info(labeled(shuffled, "target", "train"), labeled(test, "target", "test"))

    assert first == second
    assert first.overlap_rows == 0


def test_rows_in_both_train_and_test_are_warned_about(breast_cancer) -> None:
    train = breast_cancer.frame("train")
    leaky_test = pd.concat([breast_cancer.frame("test"), train.head(4)], ignore_index=True)

    with pytest.warns(UserWarning, match="4 test rows also appear in the training data"):
        info = split_info(labeled(train, "target", "train"), labeled(leaky_test, "target", "test"))

    assert info.overlap_rows == 4


def test_iris_has_a_duplicate_row_across_the_split(iris) -> None:
    with pytest.warns(UserWarning, match="^1 test rows also appear in the training data"):
        info = split_info(
            labeled(iris.frame("train"), "target", "train"),
            labeled(iris.frame("test"), "target", "test"),
        )

    assert info.overlap_rows == 1


def test_metrics_are_tied_to_the_test_fingerprint(breast_cancer, out: Out) -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(
        breast_cancer.X_train, breast_cancer.y_train
    )

    manifest = package_model(
        model,
        "cancer",
        out("pkg"),
        sample=breast_cancer.X_test.head(3),
        train_data=(breast_cancer.X_train, breast_cancer.y_train),
        test_data=(breast_cancer.X_test, breast_cancer.y_test),
    )

    roles = {d.role: d for d in manifest.lineage.datasets}
    assert set(roles) == {"train", "test", "sample"}
    assert manifest.metrics is not None
    assert manifest.metrics.dataset_sha256 == roles["test"].sha256
    assert manifest.lineage.split is not None and manifest.lineage.split.overlap_rows == 0
    accuracy = model.score(breast_cancer.X_test, breast_cancer.y_test)
    assert np.isclose(manifest.metrics.values["accuracy"], accuracy)
    assert 0.9 < manifest.metrics.values["roc_auc"] <= 1.0
    assert manifest.profile is not None and manifest.profile.rows == len(breast_cancer.X_train)

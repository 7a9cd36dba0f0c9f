"""Train a breast-cancer classifier, log it as a new version, and write the held-out test set.

Run by the CI workflow next to this file; prints ``version=N`` for ``$GITHUB_OUTPUT``. The
test rows never touch training, so the gates judge the model on data it has not seen.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import modelyard

LABELS = {"name": "label_map", "args": {"mapping": {"0": "malignant", "1": "benign"}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", default="breast_cancer")
    parser.add_argument("--out", type=Path, default=Path("data"), help="where test.csv goes")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    args = parser.parse_args()

    data = load_breast_cancer(as_frame=True)
    frame = data.data.assign(target=data.target)
    train, test = train_test_split(frame, test_size=0.3, random_state=0, stratify=frame.target)
    X = train.drop(columns=["target"])
    model = make_pipeline(StandardScaler(), LogisticRegression(C=args.C, max_iter=5000))
    model.fit(X, train.target)

    version = modelyard.log_model(
        model,
        args.name,
        sample=X.head(50),
        train_data=train,
        target="target",
        pipeline={"postprocess": [LABELS]},
        params={"C": args.C},
    )
    args.out.mkdir(parents=True, exist_ok=True)
    test.to_csv(args.out / "test.csv", index=False)
    print(f"version={version.version}")


if __name__ == "__main__":
    main()

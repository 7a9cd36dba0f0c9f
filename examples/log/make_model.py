"""Make ``model.onnx`` the way another tool would, for ``modelyard log model.onnx``.

Trains a breast-cancer classifier with scikit-learn, converts it to ONNX with skl2onnx (one
float tensor of 30 features, plain probabilities) and writes it with the rows the manifest
``model.yaml`` names: ``data/sample.csv`` (features) and ``data/holdout.csv`` (features and
``target``). Run it from the folder where ``model.yaml`` will be.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from skl2onnx import to_onnx
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("."), help="where model.onnx goes")
    args = parser.parse_args()

    data = load_breast_cancer(as_frame=True)
    frame = data.data.assign(target=data.target)
    train, holdout = train_test_split(frame, test_size=0.3, random_state=1, stratify=frame.target)
    features = train.drop(columns=["target"])
    model = RandomForestClassifier(n_estimators=50, random_state=0).fit(
        features.to_numpy(), train.target
    )
    onnx_model = to_onnx(
        model, features.to_numpy()[:1].astype("float32"), options={"zipmap": False}
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model.onnx").write_bytes(onnx_model.SerializeToString())
    (args.out / "data").mkdir(exist_ok=True)
    features.head(50).to_csv(args.out / "data" / "sample.csv", index=False)
    holdout.to_csv(args.out / "data" / "holdout.csv", index=False)
    print(f"wrote {args.out / 'model.onnx'}, data/sample.csv and data/holdout.csv")


if __name__ == "__main__":
    main()

"""Send the rows of a CSV file to an endpoint, one request each, and write their true labels.

    python examples/monitor/traffic.py data/test.csv http://127.0.0.1:8000/endpoints/NAME \
        --labels labels.csv [--target target] [--shift "mean radius=3"]

Each row (without its target column) is posted to ``URL/predict``; the request id the server
answers with is written to ``--labels`` beside the row's target, ready for ``modelyard
feedback ENDPOINT --file labels.csv``. ``--shift FEATURE=K`` moves a feature by K standard
deviations first, to watch drift being detected.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import httpx
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="a CSV file of rows and their target")
    parser.add_argument(
        "endpoint", help="the endpoint's URL, e.g. http://127.0.0.1:8000/endpoints/bc"
    )
    parser.add_argument("--labels", type=Path, default=Path("labels.csv"))
    parser.add_argument("--target", default="target")
    parser.add_argument("--shift", action="append", default=[], metavar="FEATURE=K")
    args = parser.parse_args()

    frame = pd.read_csv(args.data)
    truth = frame.pop(args.target)
    for item in args.shift:
        feature, _, sigmas = item.rpartition("=")
        frame[feature] += float(sigmas) * frame[feature].std()
    with httpx.Client(timeout=30) as client, args.labels.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["request_id", "label"])
        for record, label in zip(frame.to_dict(orient="records"), truth, strict=True):
            answer = client.post(f"{args.endpoint}/predict", json={"instances": [record]})
            answer.raise_for_status()
            writer.writerow([answer.headers["x-request-id"], label])
    print(f"{len(frame)} requests sent; their labels are in {args.labels}")


if __name__ == "__main__":
    main()

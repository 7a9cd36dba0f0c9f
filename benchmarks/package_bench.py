"""How long packaging takes, and how big a package is: ``python benchmarks/package_bench.py``.

Builds the package of a 100-tree random forest on digits as "is it a 3?" (the conversion to
ONNX, the parity proof, the test metrics, the lineage and the profile), a few times, then
loads and verifies it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from modelyard.package.builder import build_package
from modelyard.package.loader import load_package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    digits = load_digits(as_frame=True)
    frame = digits.data.assign(is_three=(digits.target == 3).astype(int))
    train, test = train_test_split(frame, test_size=0.25, random_state=0)
    X = train.drop(columns="is_three")
    model = RandomForestClassifier(n_estimators=100, random_state=0).fit(X, train.is_three)

    builds, loads, sizes = [], [], {}
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as workdir:
            folder = Path(workdir) / "pkg"
            start = time.perf_counter()
            build_package(
                model, "digits", folder, sample=X.head(20), train_data=train,
                test_data=test, target="is_three",
            )  # fmt: skip
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            load_package(folder)
            loads.append(time.perf_counter() - start)
            sizes = {p.name: p.stat().st_size for p in folder.iterdir()}
    print(f"build_package, RF 100 trees, digits-is-3: median {statistics.median(builds):.2f} s "
          f"over {args.runs} runs (min {min(builds):.2f} s)")  # fmt: skip
    print(f"load_package (verify + open): median {statistics.median(loads) * 1000:.1f} ms")
    for name, size in sorted(sizes.items()):
        print(f"  {name}: {size / 1024:.0f} KiB")
    print(f"  total: {sum(sizes.values()) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()

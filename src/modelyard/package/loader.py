"""Load a package folder into a model that predicts — after proving it is the one recorded.

Order matters: the sha256 of every file is checked first, then the captured requirements,
and only then is the model file opened (for a pickle, unpickled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from modelyard.core.errors import ModelyardError, RequirementMismatchError
from modelyard.package.formats import Session, get_format
from modelyard.package.io import verify_package
from modelyard.package.manifest import Manifest
from modelyard.package.requirements import check_requirements


@dataclass(frozen=True)
class LoadedModel:
    """A package's model, opened: raw ``run`` for runners, ``predict`` for people."""

    manifest: Manifest
    session: Session

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the model on ready-made feeds (see :func:`~.signature.to_feeds`)."""
        return self.session.run(feeds)

    def _feeds(self, data: Any) -> dict[str, np.ndarray]:
        # Tables go through pandas (the train extra); servers call run() with ready arrays.
        from modelyard.package.signature import to_feeds

        return to_feeds(self.manifest.signature, data)

    def predict(self, data: Any) -> np.ndarray:
        """Class labels (as the original model's classes) or regression values for ``data``."""
        signature = self.manifest.signature
        outputs = self.run(self._feeds(data))
        if signature.value_output is not None:
            values = outputs[signature.value_output]
            return values.reshape(-1) if values.ndim == 2 and values.shape[1] == 1 else values
        if signature.label_output is not None:
            return outputs[signature.label_output].reshape(-1)
        if signature.probability_output is not None and signature.classes:
            index = outputs[signature.probability_output].argmax(axis=1)
            return np.asarray(signature.classes)[index]
        raise ModelyardError(
            f"model {self.manifest.name} has no label or value output: expected a classifier "
            "or regressor signature (use run() for raw outputs)"
        )

    def predict_proba(self, data: Any) -> np.ndarray:
        """Class probabilities, one column per class in ``signature.classes`` order."""
        signature = self.manifest.signature
        if signature.probability_output is None:
            raise ModelyardError(
                f"model {self.manifest.name} has no probability output: expected a classifier "
                "with predict_proba"
            )
        return self.run(self._feeds(data))[signature.probability_output]


def load_package(
    directory: str | Path,
    *,
    allow_mismatch: bool = False,
    expected_digest: str | None = None,
    **runtime_options: Any,
) -> LoadedModel:
    """Verify a package folder, check its requirements, and open its model.

    Raises :class:`IntegrityError` for altered files or a digest other than
    ``expected_digest``, and :class:`RequirementMismatchError` when a format that pins its
    requirements (pickles) was written with other library versions, unless
    ``allow_mismatch``. ``runtime_options`` go to the format (ONNX: threads, providers).
    """
    folder = Path(directory)
    manifest = verify_package(folder, expected_digest)
    fmt = get_format(manifest.format)
    differences = check_requirements(manifest.requirements)
    if fmt.pins_requirements and differences and not allow_mismatch:
        raise RequirementMismatchError(
            f"package {manifest.name} ({manifest.format}) was written with "
            f"{'; '.join(differences)}: install those versions or pass allow_mismatch=True"
        )
    session = fmt.open(folder / manifest.model_file, manifest.signature, **runtime_options)
    return LoadedModel(manifest, session)

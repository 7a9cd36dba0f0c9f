"""One model version's pipeline: encoder → runner → postprocessors → formatter.

The stages come from the version's manifest (versioned with the weights); an endpoint may
override some of them, which is logged and recorded. Stages are exposed one by one so the
server can micro-batch: ``encode`` each request, :func:`concat_batches`, one ``infer``,
:func:`split_outputs`, ``finish`` each. ``predict_batch`` does exactly that, so it answers
what the server answers.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from modelyard.package.io import package_digest, read_manifest
from modelyard.package.manifest import ComponentSpec, Manifest, PipelineSpec
from modelyard.pipeline.components import ComponentRegistry, Origin, default_registry
from modelyard.pipeline.dtypes import NUMPY
from modelyard.pipeline.encoders.tabular import TabularEncoder
from modelyard.pipeline.formatters import as_columns
from modelyard.pipeline.postprocess import standardize
from modelyard.pipeline.profile_check import Policy, ProfileCheck, ProfileGuard
from modelyard.pipeline.spec import PipelineOverride
from modelyard.pipeline.types import (
    Arrays,
    Batch,
    Context,
    Encoder,
    Formatter,
    Postprocessor,
    Resources,
    Runner,
)

if TYPE_CHECKING:
    import pandas as pd

    from modelyard.registry import ModelVersion, Registry

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    """Which model version answers: what every response carries."""

    name: str
    version: int | None

    def as_json(self) -> dict[str, Any]:
        """``{"name", "version"}`` for responses."""
        return {"name": self.name, "version": self.version}


def concat_batches(batches: Sequence[Batch]) -> Batch:
    """Several requests' batches as one (rows appended in order), for one runner call."""
    if len(batches) == 1:
        return batches[0]
    names = batches[0].feeds.keys()
    feeds = {name: np.concatenate([batch.feeds[name] for batch in batches]) for name in names}
    return Batch(feeds, sum(batch.rows for batch in batches))


def split_outputs(outputs: Arrays, counts: Sequence[int]) -> list[Arrays]:
    """Outputs for consecutive groups of ``counts`` rows (views, no copies)."""
    bounds = np.cumsum([0, *counts]).tolist()
    return [
        {name: array[start:stop] for name, array in outputs.items()}
        for start, stop in itertools.pairwise(bounds)
    ]


class Pipeline:
    """A model version ready to answer; build with :meth:`from_version` or :meth:`from_package`.

    Constructing it builds and validates every component; :meth:`load` then opens the model.
    """

    def __init__(
        self,
        manifest: Manifest,
        *,
        package_dir: Path | None = None,
        version: int | None = None,
        digest: str | None = None,
        overrides: PipelineOverride | None = None,
        override_origin: Origin | None = None,
        resources: Resources | None = None,
        components: ComponentRegistry | None = None,
        profile_policy: Policy = "off",
    ) -> None:
        self.manifest = manifest
        self.model = ModelInfo(manifest.name, version)
        self.digest = digest
        signature = manifest.signature
        self.context = Context(
            signature=signature,
            name=manifest.name,
            version=version,
            classes=tuple(signature.classes) if signature.classes else None,
            format=manifest.format,
            package_dir=package_dir,
            digest=digest,
            resources=resources or Resources(),
        )
        # never the folder: it is a path on the server, and this text reaches error answers
        where = f"{manifest.name}:{version}" if version is not None else manifest.name
        self.overridden = tuple(overrides.stages()) if overrides is not None else ()
        if self.overridden:
            logger.warning(
                "model %s: pipeline stages %s overridden by %s (the manifest's are not used)",
                where,
                ", ".join(self.overridden),
                (override_origin or Origin("pipeline override")).where(),
            )
        self._build(
            manifest.pipeline.model_copy(
                update={stage: getattr(overrides, stage) for stage in self.overridden}
            ),
            Origin(f"manifest of {where}", None, ("pipeline",)),
            override_origin or Origin("pipeline override"),
            components or default_registry(),
        )
        self.profile_guard = self._profile_guard(profile_policy, where)

    def _profile_guard(self, policy: Policy, where: str) -> ProfileGuard | None:
        """The training-profile check of tabular requests, unless off or nothing to check."""
        profile, signature = self.manifest.profile, self.manifest.signature
        tabular = isinstance(self.encoder, TabularEncoder)
        if policy == "off" or profile is None or not signature.columns or not tabular:
            return None
        if profile.source != "train":  # a few sample rows say nothing of the training range
            return None
        return ProfileGuard(ProfileCheck(profile, signature), policy, where)

    def _build(
        self,
        stages: PipelineSpec,
        manifest_origin: Origin,
        override_origin: Origin,
        registry: ComponentRegistry,
    ) -> None:
        """Build every stage; errors point at the manifest or the override that declared it."""

        def origin(stage: str) -> Origin:
            declared = override_origin if stage in self.overridden else manifest_origin
            return declared.at(stage)

        runner_spec = stages.runner or ComponentSpec(name=self.manifest.format)
        self.encoder: Encoder = registry.build(
            "encoder", stages.encoder, self.context, origin("encoder")
        )
        self.runner: Runner = registry.build("runner", runner_spec, self.context, origin("runner"))
        self.postprocessors: list[tuple[Postprocessor, Context]] = []
        context = self.context
        for i, spec in enumerate(stages.postprocess):
            step: Postprocessor = registry.build(
                "postprocessor", spec, context, origin("postprocess").at(i)
            )
            self.postprocessors.append((step, context))
            context = step.bind(context)
        self.output_context = context
        self.formatter: Formatter = registry.build(
            "formatter", stages.formatter, context, origin("formatter")
        )

    @classmethod
    def from_package(
        cls,
        directory: str | Path,
        overrides: PipelineOverride | None = None,
        resources: Resources | None = None,
    ) -> Pipeline:
        """A loaded pipeline for an unregistered package folder (version ``None``)."""
        folder = Path(directory)
        manifest = read_manifest(folder)
        pipeline = cls(
            manifest,
            package_dir=folder,
            digest=package_digest(folder),
            overrides=overrides,
            resources=resources,
        )
        return pipeline.load()

    @classmethod
    def from_version(
        cls,
        model_version: ModelVersion,
        registry: Registry,
        overrides: PipelineOverride | None = None,
        resources: Resources | None = None,
        *,
        override_origin: Origin | None = None,
        profile_policy: Policy = "off",
    ) -> Pipeline:
        """A loaded pipeline for a registered version, built from its verified package.

        The manifest is the one read from the package's verified bytes; the registry refuses a
        database record that differs from it. A copy that nothing checked never decides the
        stages, runner or requirements that serve.
        """
        package = registry.verified(model_version)
        pipeline = cls(
            package.manifest,
            package_dir=package.path,
            version=model_version.version,
            digest=model_version.digest,
            overrides=overrides,
            override_origin=override_origin,
            resources=resources,
            profile_policy=profile_policy,
        )
        return pipeline.load()

    def load(self) -> Pipeline:
        """Open the runner's model (verification and requirement checks happen here)."""
        self.runner.load()
        return self

    def close(self) -> None:
        """Release the runner's model or connections."""
        self.runner.close()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def encode(self, payload: Any) -> Batch:
        """A request's payload as runner feeds; bad input raises ``PayloadError``.

        With a profile policy, the feeds are then compared with the training profile.
        """
        batch = self.encoder.encode(payload)
        if self.profile_guard is not None:
            self.profile_guard.inspect(payload, batch.feeds)
        return batch

    def infer(self, feeds: Arrays) -> Arrays:
        """The runner's raw outputs for all rows of ``feeds``."""
        return self.runner.run(feeds)

    def warm(self) -> None:
        """Run the runner once on one row of zeros (empty strings for text inputs).

        A runner's first call pays for lazy set-up (memory arenas, kernel choice); a variant
        that is about to take traffic pays it here instead of in a client's request.
        """
        feeds = {}
        for spec in self.context.signature.inputs:
            shape = (1, *(dim or 1 for dim in spec.shape[1:]))
            dtype = NUMPY[spec.dtype]
            feeds[spec.name] = (
                np.full(shape, "", dtype=dtype) if dtype.kind == "O" else np.zeros(shape, dtype)
            )
        self.infer(feeds)

    def postprocess(self, outputs: Arrays) -> Arrays:
        """Raw outputs → standard keys (``label``, ``probabilities``, ``score``, ``value``)."""
        result = standardize(outputs, self.context)
        for step, context in self.postprocessors:
            result = step.apply(result, context)
        return result

    def finish(self, outputs: Arrays) -> list[Any]:
        """Raw outputs of some rows → one JSON-able prediction per row."""
        return self.formatter.format(self.postprocess(outputs), self.output_context)

    def finish_columns(self, outputs: Arrays) -> dict[str, Any]:
        """Raw outputs of some rows → :meth:`finish`'s predictions laid out as columns
        (:func:`~modelyard.pipeline.formatters.as_columns`), without a dict per row when the
        formatter can (batch scoring's path)."""
        standard = self.postprocess(outputs)
        columns = getattr(self.formatter, "columns", None)
        if columns is not None:
            return columns(standard, self.output_context)
        return as_columns(self.formatter.format(standard, self.output_context))

    def postprocessed_frame(self, frame: pd.DataFrame) -> Arrays:
        """Standard outputs for a DataFrame (the production path, for evaluation)."""
        return self.postprocess(self.infer(self.encoder.encode_frame(frame).feeds))

    def respond(self, predictions: list[Any]) -> dict[str, Any]:
        """The response body the server sends: predictions and the model that made them."""
        return {"predictions": predictions, "model": self.model.as_json()}

    def predict(self, payload: Any) -> dict[str, Any]:
        """Answer one request in process, exactly as the server would."""
        return self.respond(self.finish(self.infer(self.encode(payload).feeds)))

    def predict_batch(self, payloads: Sequence[Any]) -> list[dict[str, Any]]:
        """Answer several requests with one runner call; same answers as :meth:`predict`."""
        batches = [self.encode(payload) for payload in payloads]
        outputs = self.infer(concat_batches(batches).feeds)
        parts = split_outputs(outputs, [batch.rows for batch in batches])
        return [self.respond(self.finish(part)) for part in parts]

"""The serving install of an image: one exact version of every distribution it needs.

An image must install what was proved here, not whatever an index serves on the day it is
built. Two sources fix the versions: a package's manifest records the distributions its format
needs (a pickle only loads where they match), and modelyard's own dependencies, with the
extras the endpoints use, are pinned to the versions installed now (read with
``importlib.metadata``), down to their own dependencies. Training-time libraries are never
added unless an endpoint needs them: the image serves, it does not train.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import Requirement as Spec
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from modelyard.core.errors import ConfigError
from modelyard.registry.types import ModelVersion

PROJECT = "modelyard"

LOADS_WITH: dict[str, frozenset[str]] = {
    "onnx": frozenset({"onnxruntime"}),  # `onnx` is recorded for the conversion only
    "torchscript": frozenset({"torch"}),
}
"""The recorded distributions a format loads with, for formats that record more than that.
Any other format (a pickle) needs everything it recorded."""


@dataclass(frozen=True)
class Pin:
    """One line of the image's requirements: ``name==version``, and why it is there."""

    name: str
    version: str
    source: str
    """``installed`` (pinned to this environment) or the version ref whose manifest records it."""

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


class NotInstalledError(ConfigError):
    """A distribution the image needs is not installed here, so no version can be pinned."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def filesystem_distribution(url: str) -> str | None:
    """The distribution implementing ``url``'s fsspec protocol (``s3fs`` for ``s3://``), or
    ``None`` when fsspec itself does (local files, ``memory://``) or knows no such protocol.

    Raises :class:`NotInstalledError` when the implementation is not installed here.
    """
    from fsspec.core import split_protocol
    from fsspec.registry import known_implementations

    protocol = split_protocol(url)[0] or "file"
    known = known_implementations.get(protocol)
    module = str(known["class"]).partition(".")[0] if known else "fsspec"
    if module == "fsspec":
        return None
    names = metadata.packages_distributions().get(module)
    if not names:
        raise NotInstalledError(module)
    return names[0]


def installed_closure(extras: Iterable[str], distributions: Iterable[str] = ()) -> dict[str, Pin]:
    """modelyard's dependencies (with ``extras``), ``distributions``, and all of theirs, at
    their installed versions, by canonical name; modelyard itself is left out (the image gets
    its wheel).

    Raises :class:`NotInstalledError` naming the first distribution that is not installed.
    """
    pins: dict[str, Pin] = {}
    seen: set[tuple[str, str]] = set()
    todo: list[tuple[str, frozenset[str]]] = [(PROJECT, frozenset(extras))]
    todo += [(name, frozenset()) for name in distributions]
    while todo:
        name, wanted = todo.pop()
        key = canonicalize_name(name)
        fresh = {extra for extra in wanted | {""} if (key, extra) not in seen}
        if not fresh:
            continue
        seen.update((key, extra) for extra in fresh)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise NotInstalledError(name) from None
        if key != PROJECT:
            pins[key] = Pin(distribution.metadata["Name"], distribution.version, "installed")
        for text in distribution.requires or []:
            spec = Spec(text)
            if spec.marker is None or any(spec.marker.evaluate({"extra": e}) for e in fresh):
                todo.append((spec.name, frozenset(spec.extras)))
    return pins


def recorded_needs(version: ModelVersion) -> list[Pin]:
    """The distributions ``version``'s manifest records that its format loads with."""
    manifest = version.manifest
    loads = LOADS_WITH.get(manifest.format)
    return [
        Pin(requirement.name, requirement.version, version.ref)
        for requirement in manifest.requirements
        if loads is None or canonicalize_name(requirement.name) in loads
    ]


def _newer(a: str, b: str) -> bool:
    try:
        return Version(a) > Version(b)
    except InvalidVersion:
        return a > b


def serving_pins(
    extras: Iterable[str], versions: Iterable[ModelVersion], distributions: Iterable[str] = ()
) -> list[Pin]:
    """Every line of the image's requirements (modelyard's, with ``extras``; the recorded
    needs of ``versions``; ``distributions`` the endpoints need besides), sorted by name.

    A version's recorded requirement replaces the installed pin of the same distribution. Two
    versions recording different versions of one distribution conflict when either format
    needs all it recorded (a pickle); otherwise the newer is taken (ONNX Runtime reads older
    models).
    """
    pins = installed_closure(extras, distributions)
    recorded: dict[str, tuple[Pin, bool]] = {}  # canonical name -> (pin, strict)
    for version in versions:
        strict = version.manifest.format not in LOADS_WITH
        for pin in recorded_needs(version):
            key = canonicalize_name(pin.name)
            if key in recorded:
                other, other_strict = recorded[key]
                if Version(other.version) == Version(pin.version):
                    continue
                if strict or other_strict:
                    raise ConfigError(
                        f"{other.source} records {pin.name} {other.version} and {pin.source} "
                        f"records {pin.version}: one image installs one version; serve them "
                        "from separate images"
                    )
                if not _newer(pin.version, other.version):
                    continue
            recorded[key] = (pin, strict)
    pins.update({key: pin for key, (pin, _) in recorded.items()})
    return sorted(pins.values(), key=lambda pin: canonicalize_name(pin.name))

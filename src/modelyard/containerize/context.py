"""``build_context``: a folder ``docker build`` turns into a server image that needs nothing
outside it.

Layout of the folder::

    Dockerfile           slim Python base, serving install, non-root user, health check
    requirements.txt     every distribution of the serving install, pinned (name==version)
    wheels/              modelyard's own wheel
    app/serve.sh         the entry command (the image's ENTRYPOINT)
    app/endpoints.yaml   the endpoints file, its gates files pointing inside app/gates/
    app/gates/           the gates files endpoints name in monitoring.gates, by endpoint
    app/registry/        a SQLite registry with exactly the versions served, and their packages
    app/data/            empty: the image's writable volume, where local Parquet log stores go

Everything is checked before anything is written: the file, every ref of every endpoint, and
the installed versions of what the endpoints need. A failure while writing removes the folder.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from modelyard.containerize.dockerfile import DATA, ENTRY, ENTRY_SCRIPT, dockerfile
from modelyard.containerize.image_registry import write_image_registry
from modelyard.containerize.log_store import OutsideData, image_store
from modelyard.containerize.requirements import (
    PROJECT,
    NotInstalledError,
    Pin,
    filesystem_distribution,
    installed_closure,
    serving_pins,
)
from modelyard.containerize.wheel import project_wheel
from modelyard.core.errors import ConfigError, ModelyardError
from modelyard.pipeline.components import Origin
from modelyard.pipeline.endpoint import read_endpoints_file
from modelyard.pipeline.spec import EndpointSpec
from modelyard.registry import Registry
from modelyard.registry.types import ModelVersion

GATES = "gates"


@dataclass(frozen=True)
class BuildContext:
    """What was written: the folder, the versions baked in, the pins and the wheel."""

    path: Path
    versions: list[ModelVersion]
    pins: list[Pin]
    wheel: Path
    extras: list[str]


def _extras(spec: EndpointSpec) -> dict[str, tuple[str, ...]]:
    """modelyard's extras a server needs for this endpoint, with where the spec asks for each."""
    needs: dict[str, tuple[str, ...]] = {}
    if spec.monitoring is not None:
        needs["monitor"] = ("monitoring",)
    if spec.logging.store.startswith("parquet:"):
        needs["parquet"] = ("logging", "store")
    return needs


def _check_installed(extra: str, origin: Origin, endpoint: str) -> None:
    """Refuse an extra whose distributions are not installed here: nothing to pin them to."""
    try:
        installed_closure([extra])
    except NotInstalledError as missing:
        raise origin.error(
            f'endpoint {endpoint!r} needs {missing.name} (pip install "{PROJECT}[{extra}]"), '
            "which is not installed here, so the image has no version to pin it to: install "
            "it, then build again"
        ) from None


def _store_distribution(spec: EndpointSpec, origin: Origin) -> str | None:
    """The filesystem library the endpoint's ``parquet:`` log store needs (``s3fs``...)."""
    kind, _, url = spec.logging.store.partition(":")
    if kind != "parquet":
        return None
    try:
        return filesystem_distribution(url)
    except NotInstalledError as missing:
        raise origin.at("logging", "store").error(
            f"endpoint {spec.id!r} logs to a store that needs {missing.name}, which is not "
            "installed here, so the image has no version to pin it to: install it, then build "
            "again"
        ) from None


def _check_store_inside(spec: EndpointSpec, origin: Origin) -> None:
    """A local log store must be one the image's user can write (see ``log_store``)."""
    try:
        image_store(spec.logging.store)
    except OutsideData as outside:
        raise origin.at("logging", "store").error(
            f"endpoint {spec.id!r} logs to {outside}"
        ) from None


def _resolve(registry: Registry, spec: EndpointSpec, origin: Origin) -> list[ModelVersion]:
    """The version every arm of the endpoint serves now (aliases resolved)."""
    versions = []
    for arm in spec.traffic.plan(spec.model):
        try:
            versions.append(registry.get(arm.ref))
        except ModelyardError as error:
            raise origin.at(*arm.loc).error(f"{arm.ref}: {error}") from None
    return versions


def _empty_folder(out: Path) -> None:
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"{out}: expected a new or empty folder for the build context")


def _check_gates(spec: EndpointSpec, origin: Origin) -> None:
    """A gates file is read by the server from where it runs: it must exist here to be copied."""
    gates = spec.monitoring.gates if spec.monitoring is not None else None
    if gates and not Path(gates).is_file():
        raise origin.at("monitoring", "gates").error(f"{gates}: no such file")


def _rewritten(data: dict[str, Any], app: Path) -> dict[str, Any]:
    """The endpoints file's data with each gates file copied into ``app/gates/`` and named by
    its path inside ``app`` (the entry script runs from there), and each local log store
    placed in the data folder. Copies are named after their endpoint, whose id is unique, so
    two files of one name from two folders never meet."""
    for spec in data["endpoints"]:
        logging = spec.get("logging") or {}
        if logging.get("store"):
            logging["store"] = image_store(logging["store"])
        monitoring = spec.get("monitoring") or {}
        if monitoring.get("gates"):
            gates = Path(monitoring["gates"])
            inside = f"{GATES}/{spec['id']}-{gates.name}"
            (app / GATES).mkdir(exist_ok=True)
            shutil.copy2(gates, app / inside)
            monitoring["gates"] = inside
    return data


def _clear(folder: Path, created: bool) -> None:
    """Undo a half-written context: the folder if it was made here, else what it now holds."""
    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for child in folder.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink()


@dataclass(frozen=True)
class _Plan:
    """What an endpoints file needs in its image, found before anything is written."""

    source: Path
    versions: list[ModelVersion]
    extras: list[str]
    pins: list[Pin]


def _plan(source: Path, registry: Registry) -> _Plan:
    """Check the file, resolve every ref and pin what the endpoints need; raise on the first
    problem, naming its line."""
    endpoints, root = read_endpoints_file(source)
    versions: list[ModelVersion] = []
    extras: set[str] = set()
    distributions: set[str] = set()
    for i, spec in enumerate(endpoints.endpoints):
        origin = Origin(str(source), root, ("endpoints", i))
        versions += _resolve(registry, spec, origin)
        _check_gates(spec, origin)
        _check_store_inside(spec, origin)
        for extra, loc in _extras(spec).items():
            _check_installed(extra, origin.at(*loc), spec.id)
            extras.add(extra)
        distributions.update(filter(None, [_store_distribution(spec, origin)]))
    pins = serving_pins(extras, versions, distributions)
    return _Plan(source, versions, sorted(extras), pins)


def _write(plan: _Plan, folder: Path, registry: Registry) -> BuildContext:
    """Write the context the plan describes into the (new or empty) ``folder``."""
    wheel = project_wheel(folder / "wheels")
    app = folder / "app"
    app.mkdir()
    (app / DATA).mkdir()
    data = yaml.safe_load(plan.source.read_text(encoding="utf-8"))
    header = f"# {plan.source.name}, its refs resolved by the registry in registry/\n"
    body = yaml.safe_dump(_rewritten(data, app), sort_keys=False)
    (app / "endpoints.yaml").write_text(header + body, encoding="utf-8")
    copies = write_image_registry(registry, plan.versions, app / "registry")
    (app / ENTRY).write_text(ENTRY_SCRIPT, encoding="utf-8")
    (app / ENTRY).chmod(0o755)
    lines = [f"# the serving install of {plan.source.name}, pinned", *map(str, plan.pins)]
    (folder / "requirements.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = dockerfile(wheel.name, plan.source.name, [copy.ref for copy in copies])
    (folder / "Dockerfile").write_text(text, encoding="utf-8")
    return BuildContext(folder, copies, plan.pins, wheel, plan.extras)


def build_context(endpoints_file: str | Path, out: str | Path, registry: Registry) -> BuildContext:
    """Write the build context of an image serving ``endpoints_file`` into ``out``."""
    folder = Path(out)
    plan = _plan(Path(endpoints_file), registry)
    _empty_folder(folder)
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return _write(plan, folder, registry)
    except BaseException:
        _clear(folder, created)
        raise

"""Requirements: the installed distributions a package's format needs, captured and checked.

A pickle is only safe to load in the environment that wrote it, so its versions are recorded
at build time and compared at load time. Versions are read with ``importlib.metadata`` (what
pip installed, not what a module claims) and compared with ``packaging`` so ``1.4`` equals
``1.4.0``.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import metadata

from packaging.version import InvalidVersion, Version

from modelyard.package.manifest import Requirement


def installed_version(name: str) -> str | None:
    """The installed version of distribution ``name``, or ``None`` when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def capture_requirements(names: Iterable[str]) -> list[Requirement]:
    """The installed version of each distribution in ``names``; absent ones are left out."""
    captured = []
    for name in names:
        version = installed_version(name)
        if version is not None:
            captured.append(Requirement(name=name, version=version))
    return captured


def _same(recorded: str, installed: str) -> bool:
    try:
        return Version(recorded) == Version(installed)
    except InvalidVersion:
        return recorded == installed


def check_requirements(requirements: Iterable[Requirement]) -> list[str]:
    """One line per requirement the current environment does not meet; empty when all do."""
    differences = []
    for requirement in requirements:
        installed = installed_version(requirement.name)
        if installed is None:
            differences.append(f"{requirement.name} {requirement.version} (not installed)")
        elif not _same(requirement.version, installed):
            differences.append(f"{requirement.name} {requirement.version} (installed: {installed})")
    return differences

"""The registry: versions, aliases and their audit trail over a database and an artifact store.

Order matters for crash safety: a package is verified, then stored under its digest, and only
then is its version row inserted, in one transaction. A process killed at any point leaves
either no version or a complete one; at worst an unreferenced package folder remains.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modelyard.core.errors import ConfigError, ConflictError
from modelyard.core.refs import ModelRef, check_name, parse_ref
from modelyard.package.io import package_digest, verify_package
from modelyard.registry import aliases as alias_log
from modelyard.registry import evaluations, tags
from modelyard.registry.artifacts import ArtifactStore
from modelyard.registry.database import Database, lock_model
from modelyard.registry.labels import LabelStore
from modelyard.registry.location import locate
from modelyard.registry.prediction_log import PredictionLogTable
from modelyard.registry.records import check_record
from modelyard.registry.rollouts import RolloutStore
from modelyard.registry.schema import AliasRow, ModelRow, VersionRow, utcnow
from modelyard.registry.tokens import TokenStore
from modelyard.registry.types import AliasEvent, ModelSummary, ModelVersion, VerifiedPackage
from modelyard.registry.versions import (
    live_versions,
    require_model,
    require_version,
    resolve,
    to_model_version,
)


def default_actor() -> str:
    """Who is acting when nobody says: the login name, as audit rows record it."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER, e.g. in a container
        return "unknown"


def _as_ref(ref: str | ModelRef) -> ModelRef:
    return parse_ref(ref) if isinstance(ref, str) else ref


def _locked_model(session: Session, name: str) -> ModelRow:
    row = lock_model(session, name)
    return row if row is not None else require_model(session, name)


class Registry:
    """Model versions, aliases and evaluations, shared by every process that opens the same URL.

    ``url`` is any SQLAlchemy URL (default ``MODELYARD_REGISTRY_URL``, else the SQLite file of
    the nearest ``.modelyard/`` folder, found by walking up from the current folder);
    ``artifacts`` any fsspec URL or folder (default ``MODELYARD_ARTIFACTS``, else
    ``artifacts/`` beside the SQLite file). Packages from a remote artifact store are cached in
    ``cache_dir`` (default ``cache/`` beside them). When no registry is found, ``create``
    makes ``./.modelyard/``; without it, :class:`RegistryNotFoundError` says where it looked.
    """

    def __init__(
        self,
        url: str | None = None,
        artifacts: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        create: bool = True,
    ) -> None:
        where = locate(url, artifacts, create=create)
        self.url = where.url
        self.artifacts_url = where.artifacts
        self.home = where.home
        self._db = Database(self.url)
        self._artifacts = ArtifactStore(
            self.artifacts_url, Path(cache_dir) if cache_dir else where.cache_dir
        )
        self._prediction_log = PredictionLogTable(self._db)

    def close(self) -> None:
        """Release database connections."""
        self._db.dispose()

    @property
    def tokens(self) -> TokenStore:
        """The server's API tokens (admin, predict), kept as hashes in this database."""
        return TokenStore(self._db, default_actor)

    @property
    def prediction_log(self) -> PredictionLogTable:
        """Every endpoint's logged predictions, in this database's ``prediction_log`` table."""
        return self._prediction_log

    @property
    def rollouts(self) -> RolloutStore:
        """Every endpoint's rollout (canary, A/B, bandit, shadow): state, history, feedback."""
        return RolloutStore(self._db, default_actor)

    @property
    def labels(self) -> LabelStore:
        """The true labels of logged predictions (feedback), one per request instance."""
        return LabelStore(self._db, default_actor)

    # -- versions ---------------------------------------------------------------------------

    def register(
        self, package_dir: str | Path, *, actor: str | None = None, number: int | None = None
    ) -> ModelVersion:
        """Verify the package at ``package_dir``, store it, and make it the next version.

        ``number`` gives the version exactly that number instead (a copy of another
        registry's version keeps its number); it must be above every number the name has
        had, since a number is never reused. Numbers skipped on the way stay unused.
        """
        package = Path(package_dir)
        manifest = verify_package(package, label=f"package folder {package.name}")
        name = check_name(manifest.name)
        digest = package_digest(package)
        uri = self._artifacts.put(package, manifest, digest)
        manifest_json = manifest.model_dump_json()
        created_by = actor or default_actor()

        def work(session: Session) -> ModelVersion:
            now = utcnow()
            model = lock_model(session, name)
            if model is None:
                model = ModelRow(name=name, last_version=0, created_at=now, updated_at=now)
                session.add(model)
                session.flush()  # a concurrent first registration fails here and is retried
            if number is not None and number <= model.last_version:
                raise ConflictError(
                    f"{name}:{number}: {name!r} has had versions up to {model.last_version}; "
                    "a version number is never reused, so register above it"
                )
            model.last_version = model.last_version + 1 if number is None else number
            model.updated_at = now
            row = VersionRow(
                name=name,
                version=model.last_version,
                digest=digest,
                manifest_json=manifest_json,
                created_at=now,
                created_by=created_by,
            )
            session.add(row)
            session.flush()
            return to_model_version(session, row, uri)

        return self._db.write(work)

    def get(self, ref: str | ModelRef) -> ModelVersion:
        """The version ``name`` (latest), ``name:3`` or ``name@alias`` means."""
        parsed = _as_ref(ref)

        def work(session: Session) -> ModelVersion:
            row = resolve(session, parsed)
            return to_model_version(session, row, self._artifacts.uri(row.digest))

        return self._db.read(work)

    def list_versions(self, name: str) -> list[ModelVersion]:
        """Every version of ``name`` that is not deleted, oldest first."""

        def work(session: Session) -> list[ModelVersion]:
            require_model(session, name)
            return [
                to_model_version(session, row, self._artifacts.uri(row.digest))
                for row in live_versions(session, name)
            ]

        return self._db.read(work)

    def list_models(self) -> list[ModelSummary]:
        """One summary per model name, sorted by name."""

        def work(session: Session) -> list[ModelSummary]:
            counts = {
                name: (count, latest)
                for name, count, latest in session.execute(
                    select(VersionRow.name, func.count(), func.max(VersionRow.version))
                    .where(VersionRow.deleted_at.is_(None))
                    .group_by(VersionRow.name)
                ).tuples()
            }
            pointers: dict[str, dict[str, int]] = {}
            for alias in session.scalars(select(AliasRow).order_by(AliasRow.alias)):
                pointers.setdefault(alias.name, {})[alias.alias] = alias.version
            return [
                ModelSummary(
                    name=model.name,
                    latest_version=counts.get(model.name, (0, None))[1],
                    versions=counts.get(model.name, (0, None))[0],
                    aliases=pointers.get(model.name, {}),
                    updated_at=model.updated_at,
                )
                for model in session.scalars(select(ModelRow).order_by(ModelRow.name))
            ]

        return self._db.read(work)

    def fetch(self, version_or_ref: ModelVersion | str | ModelRef) -> Path:
        """A local folder with the package, verified against the registered digest.

        See :meth:`verified`; this returns only its folder.
        """
        return self.verified(version_or_ref).path

    def verified(self, version_or_ref: ModelVersion | str | ModelRef) -> VerifiedPackage:
        """The version's package in a local folder, and the manifest read from its verified
        bytes: what serving, loading and evaluation use.

        Every call re-hashes every file, so bytes altered in the store (or in the local
        cache) raise :class:`~modelyard.core.errors.IntegrityError` naming the file; a
        database record whose manifest differs from the package's is refused naming the
        fields. Messages name the version and digest, never the store's paths.
        """
        version = (
            version_or_ref if isinstance(version_or_ref, ModelVersion) else self.get(version_or_ref)
        )
        label = f"{version.ref} (package {version.digest[:12]})"
        path = self._artifacts.local_copy(version.digest, label)
        manifest = verify_package(path, expected_digest=version.digest, label=label)
        check_record(version, manifest)
        return VerifiedPackage(version, path, manifest)

    def delete_version(self, ref: str | ModelRef, *, actor: str | None = None) -> None:
        """Delete a version; refused while any alias points to it. Its number is never reused."""
        parsed = _as_ref(ref)
        deleted_by = actor or default_actor()

        def work(session: Session) -> None:
            model = _locked_model(session, parsed.name)
            row = resolve(session, parsed)
            pointing = [
                f"{row.name}@{alias}"
                for alias, version in alias_log.current(session, row.name).items()
                if version == row.version
            ]
            if pointing:
                raise ConflictError(
                    f"version {row.version} of {row.name!r} is the target of "
                    f"{', '.join(pointing)}; move the alias first"
                )
            row.deleted_at = model.updated_at = utcnow()
            row.deleted_by = deleted_by

        self._db.write(work)

    # -- tags ---------------------------------------------------------------------------------

    def set_tag(self, ref: str | ModelRef, key: str, value: str) -> None:
        """Set (or replace) a tag on a version; tags may change, the package never does."""
        parsed = _as_ref(ref)
        check_name(key, "tag key")

        def work(session: Session) -> None:
            model = _locked_model(session, parsed.name)
            row = resolve(session, parsed)
            tags.put(session, row, key, value)
            model.updated_at = utcnow()

        self._db.write(work)

    def delete_tag(self, ref: str | ModelRef, key: str) -> None:
        """Remove a tag from a version."""
        parsed = _as_ref(ref)

        def work(session: Session) -> None:
            model = _locked_model(session, parsed.name)
            row = resolve(session, parsed)
            tags.remove(session, row, key)
            model.updated_at = utcnow()

        self._db.write(work)

    # -- aliases ------------------------------------------------------------------------------

    def aliases(self, name: str) -> dict[str, int]:
        """Every alias of ``name`` and the version it points to."""

        def work(session: Session) -> dict[str, int]:
            require_model(session, name)
            return alias_log.current(session, name)

        return self._db.read(work)

    def set_alias(
        self,
        name: str,
        alias: str,
        version: int,
        *,
        reason: str,
        actor: str | None = None,
        check: Callable[[ModelVersion], None] | None = None,
        forced: bool = False,
    ) -> AliasEvent:
        """Point ``name@alias`` at ``version``, recording who, when, why and from where.

        ``check`` (the promotion gates) runs first and may raise to refuse the move;
        ``forced=True`` skips it and marks the audit row as forced.
        """
        check_name(alias, "alias name")
        _require_reason(reason)
        if check is not None and not forced:
            check(self.get(ModelRef(name, version=version)))
        who = actor or default_actor()

        def work(session: Session) -> AliasEvent:
            model = _locked_model(session, name)
            require_version(session, name, version)
            model.updated_at = utcnow()
            event = alias_log.move(
                session, name, alias, version, actor=who, reason=reason, forced=forced
            )
            return alias_log.to_event(event)

        return self._db.write(work)

    def delete_alias(
        self, name: str, alias: str, *, reason: str, actor: str | None = None
    ) -> AliasEvent:
        """Remove ``name@alias``; the removal is recorded like any other move."""
        _require_reason(reason)
        who = actor or default_actor()

        def work(session: Session) -> AliasEvent:
            model = _locked_model(session, name)
            resolve(session, ModelRef(name, alias=alias))  # NotFoundError listing the aliases
            model.updated_at = utcnow()
            event = alias_log.move(session, name, alias, None, actor=who, reason=reason)
            return alias_log.to_event(event)

        return self._db.write(work)

    def alias_history(self, name: str, alias: str | None = None) -> list[AliasEvent]:
        """Every move of ``name``'s aliases (or of one alias), oldest first."""

        def work(session: Session) -> list[AliasEvent]:
            require_model(session, name)
            return [alias_log.to_event(row) for row in alias_log.history(session, name, alias)]

        return self._db.read(work)

    def rollback(
        self, name: str, alias: str, *, reason: str = "rollback", actor: str | None = None
    ) -> AliasEvent:
        """Undo the latest move of ``name@alias`` that is not undone yet.

        Repeated rollbacks walk further back through the alias's history (see
        :mod:`modelyard.registry.aliases` for the exact rule).
        """
        _require_reason(reason)
        who = actor or default_actor()

        def work(session: Session) -> AliasEvent:
            model = _locked_model(session, name)
            undone = alias_log.move_to_undo(session, name, alias)
            assert undone.from_version is not None  # move_to_undo never returns a creation
            require_version(session, name, undone.from_version)
            model.updated_at = utcnow()
            event = alias_log.move(
                session,
                name,
                alias,
                undone.from_version,
                actor=who,
                reason=reason,
                rollback_of=undone.id,
            )
            return alias_log.to_event(event)

        return self._db.write(work)

    # -- evaluations --------------------------------------------------------------------------

    def save_evaluation(
        self, name: str, version: int, dataset_sha256: str, result: dict[str, Any]
    ) -> None:
        """Keep an evaluation result of ``name:version`` on one dataset fingerprint."""
        result_json = evaluations.encode(name, version, result)

        def work(session: Session) -> None:
            require_version(session, name, version)
            evaluations.save(session, name, version, dataset_sha256, result_json)

        self._db.write(work)

    def find_evaluation(
        self, name: str, version: int, dataset_sha256: str
    ) -> dict[str, Any] | None:
        """The newest stored result of ``name:version`` on that dataset, or ``None``."""
        return self._db.read(
            lambda session: evaluations.find(session, name, version, dataset_sha256)
        )

    def list_evaluations(self, name: str, version: int) -> list[dict[str, Any]]:
        """The newest stored result of ``name:version`` on each dataset, newest first."""
        return self._db.read(lambda session: evaluations.newest_per_dataset(session, name, version))


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ConfigError("an alias move needs a reason: expected a non-empty reason")

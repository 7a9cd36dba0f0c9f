"""Versions: numbering, immutability, lookups and what their errors say, tags, deletion."""

from __future__ import annotations

import dataclasses
import getpass
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelyard.core.errors import ConfigError, ConflictError, NotFoundError
from modelyard.core.refs import ModelRef
from modelyard.package.io import package_digest
from modelyard.registry import Registry

Build = Callable[..., Path]


def test_versions_are_numbered_from_one_per_name(registry: Registry, package: Build) -> None:
    numbers = [registry.register(package("fraud")).version for _ in range(3)]
    other = registry.register(package("churn")).version
    assert numbers == [1, 2, 3]
    assert other == 1


def test_a_number_given_is_the_version_number_and_the_count_goes_on_from_it(
    registry: Registry, package: Build
) -> None:
    registry.register(package("fraud"))
    kept = registry.register(package("fraud"), number=5)
    assert (kept.ref, registry.register(package("fraud")).ref) == ("fraud:5", "fraud:6")
    assert [v.version for v in registry.list_versions("fraud")] == [1, 5, 6]


@pytest.mark.parametrize("number", [0, 1, 2])
def test_a_number_the_name_has_had_is_refused(
    registry: Registry, package: Build, number: int
) -> None:
    registry.register(package("fraud"))
    registry.register(package("fraud"))
    with pytest.raises(ConflictError) as refused:
        registry.register(package("fraud"), number=number)
    assert str(refused.value) == (
        f"fraud:{number}: 'fraud' has had versions up to 2; a version number is never reused, "
        "so register above it"
    )
    assert [v.version for v in registry.list_versions("fraud")] == [1, 2]


def test_register_returns_the_stored_version(registry: Registry, package: Build) -> None:
    folder = package("fraud")
    before = datetime.now(UTC)
    version = registry.register(folder, actor="alice")
    assert version.name == "fraud"
    assert version.version == 1
    assert version.digest == package_digest(folder)
    assert version.manifest.model_file == "model.onnx"
    assert version.created_by == "alice"
    assert version.created_at >= before.replace(microsecond=0)
    assert version.created_at.tzinfo is not None
    assert version.artifact_uri.endswith(f"/packages/{version.digest}")
    assert (version.tags, version.aliases) == ({}, [])


def test_created_by_defaults_to_the_login_name(registry: Registry, package: Build) -> None:
    assert registry.register(package()).created_by == getpass.getuser()


def test_a_version_is_a_frozen_hashable_value(registry: Registry, package: Build) -> None:
    version = registry.register(package())
    assert {version: "cached"}[registry.get("fraud:1")] == "cached"
    with pytest.raises(dataclasses.FrozenInstanceError):
        version.digest = "0" * 64  # type: ignore[misc]


def test_registering_more_never_changes_earlier_versions(
    registry: Registry, package: Build
) -> None:
    first = registry.register(package())
    registry.register(package())
    again = registry.get("fraud:1")
    assert (again.digest, again.created_at, again.manifest) == (
        first.digest,
        first.created_at,
        first.manifest,
    )


def test_the_same_package_twice_is_two_versions_of_one_artifact(
    registry: Registry, package: Build
) -> None:
    folder = package()
    first, second = registry.register(folder), registry.register(folder)
    assert (first.version, second.version) == (1, 2)
    assert first.digest == second.digest
    assert registry.fetch(first) == registry.fetch(second)


def test_a_package_with_another_name_is_another_model(registry: Registry, package: Build) -> None:
    registry.register(package("fraud"))
    registry.register(package("churn"))
    assert [m.name for m in registry.list_models()] == ["churn", "fraud"]


def test_a_bad_model_name_in_the_manifest_is_refused(registry: Registry, package: Build) -> None:
    with pytest.raises(ConfigError, match=r"bad model name '_hidden'"):
        registry.register(package("_hidden"))


def test_get_by_name_number_and_alias(registry: Registry, package: Build) -> None:
    for _ in range(3):
        registry.register(package())
    registry.set_alias("fraud", "production", 2, reason="release")
    assert registry.get("fraud").version == 3
    assert registry.get("fraud:1").version == 1
    assert registry.get("fraud@production").version == 2
    assert registry.get(ModelRef("fraud", version=2)).aliases == ["production"]


def test_unknown_model_lists_the_models(registry: Registry, package: Build) -> None:
    registry.register(package("a"))
    registry.register(package("b"))
    with pytest.raises(NotFoundError) as error:
        registry.get("x")
    assert str(error.value) == "no model 'x'; models: a, b"


def test_unknown_model_in_an_empty_registry(registry: Registry) -> None:
    with pytest.raises(NotFoundError) as error:
        registry.get("x:1")
    assert str(error.value) == "no model 'x'; models: (none)"


def test_unknown_version_lists_the_versions(registry: Registry, package: Build) -> None:
    for _ in range(3):
        registry.register(package())
    with pytest.raises(NotFoundError) as error:
        registry.get("fraud:7")
    assert str(error.value) == "model 'fraud' has no version 7; versions: 1, 2, 3"


def test_unknown_alias_lists_the_aliases(registry: Registry, package: Build) -> None:
    registry.register(package())
    registry.set_alias("fraud", "staging", 1, reason="try")
    with pytest.raises(NotFoundError) as error:
        registry.get("fraud@production")
    assert str(error.value) == "no alias 'production' on 'fraud'; aliases: staging"


def test_a_malformed_reference_is_a_config_error(registry: Registry) -> None:
    with pytest.raises(ConfigError, match="bad model reference 'fraud:x'"):
        registry.get("fraud:x")


def test_list_versions_oldest_first(registry: Registry, package: Build) -> None:
    for _ in range(3):
        registry.register(package())
    assert [v.version for v in registry.list_versions("fraud")] == [1, 2, 3]


def test_list_versions_of_an_unknown_model(registry: Registry) -> None:
    with pytest.raises(NotFoundError, match=r"^no model 'fraud'; models: \(none\)$"):
        registry.list_versions("fraud")


def test_list_models_summarises_each_name(registry: Registry, package: Build) -> None:
    for _ in range(3):
        registry.register(package("fraud"))
    registry.register(package("churn"))
    registry.set_alias("fraud", "production", 2, reason="release")
    registry.set_alias("fraud", "staging", 3, reason="try")
    fraud = registry.list_models()[1]
    assert (fraud.name, fraud.latest_version, fraud.versions) == ("fraud", 3, 3)
    assert fraud.aliases == {"production": 2, "staging": 3}
    assert fraud.updated_at.tzinfo is not None


def test_tags_can_be_set_replaced_and_deleted(registry: Registry, package: Build) -> None:
    registry.register(package())
    registry.set_tag("fraud:1", "team", "risk")
    registry.set_tag("fraud:1", "stage", "beta")
    registry.set_tag("fraud:1", "stage", "ga")
    assert registry.get("fraud:1").tags == {"stage": "ga", "team": "risk"}
    registry.delete_tag("fraud:1", "team")
    assert registry.get("fraud:1").tags == {"stage": "ga"}


def test_tags_change_but_the_package_does_not(registry: Registry, package: Build) -> None:
    digest = registry.register(package()).digest
    registry.set_tag("fraud", "team", "risk")
    assert registry.get("fraud:1").digest == digest
    registry.fetch("fraud:1")  # still verifies against the registered digest


def test_deleting_a_missing_tag_lists_the_tags(registry: Registry, package: Build) -> None:
    registry.register(package())
    registry.set_tag("fraud:1", "team", "risk")
    with pytest.raises(NotFoundError) as error:
        registry.delete_tag("fraud:1", "owner")
    assert str(error.value) == "version 1 of 'fraud' has no tag 'owner'; tags: team"


def test_a_tag_on_an_unknown_version(registry: Registry, package: Build) -> None:
    registry.register(package())
    with pytest.raises(NotFoundError, match=r"^model 'fraud' has no version 2; versions: 1$"):
        registry.set_tag("fraud:2", "team", "risk")


def test_deleting_an_aliased_version_is_refused(registry: Registry, package: Build) -> None:
    for _ in range(3):
        registry.register(package())
    registry.set_alias("fraud", "production", 3, reason="release")
    with pytest.raises(ConflictError) as error:
        registry.delete_version("fraud:3")
    assert str(error.value) == (
        "version 3 of 'fraud' is the target of fraud@production; move the alias first"
    )
    assert registry.get("fraud:3").version == 3


def test_a_deleted_version_is_gone_and_its_number_never_reused(
    registry: Registry, package: Build
) -> None:
    for _ in range(3):
        registry.register(package())
    registry.delete_version("fraud:3", actor="bob")
    with pytest.raises(NotFoundError, match=r"no version 3 \(deleted by bob at .* UTC\); "):
        registry.get("fraud:3")
    assert registry.get("fraud").version == 2
    assert registry.register(package()).version == 4
    assert [v.version for v in registry.list_versions("fraud")] == [1, 2, 4]


def test_a_model_whose_versions_are_all_deleted(registry: Registry, package: Build) -> None:
    registry.register(package())
    registry.delete_version("fraud:1")
    with pytest.raises(NotFoundError) as error:
        registry.get("fraud")
    assert str(error.value) == "model 'fraud' has no versions; register one first"
    summary = registry.list_models()[0]
    assert (summary.latest_version, summary.versions) == (None, 0)


def test_evaluations_are_stored_and_the_newest_found(registry: Registry, package: Build) -> None:
    registry.register(package())
    data = "d" * 64
    assert registry.find_evaluation("fraud", 1, data) is None
    registry.save_evaluation("fraud", 1, data, {"accuracy": 0.9, "rows": 100})
    registry.save_evaluation("fraud", 1, data, {"accuracy": 0.91, "rows": 100})
    assert registry.find_evaluation("fraud", 1, data) == {"accuracy": 0.91, "rows": 100}
    assert registry.find_evaluation("fraud", 1, "e" * 64) is None


def test_list_evaluations_gives_the_newest_per_dataset(registry: Registry, package: Build) -> None:
    registry.register(package())
    registry.save_evaluation("fraud", 1, "d" * 64, {"accuracy": 0.9})
    registry.save_evaluation("fraud", 1, "e" * 64, {"accuracy": 0.8})
    registry.save_evaluation("fraud", 1, "d" * 64, {"accuracy": 0.91})
    assert registry.list_evaluations("fraud", 1) == [{"accuracy": 0.91}, {"accuracy": 0.8}]


def test_an_evaluation_of_an_unknown_version(registry: Registry, package: Build) -> None:
    registry.register(package())
    with pytest.raises(NotFoundError, match=r"^model 'fraud' has no version 2; versions: 1$"):
        registry.save_evaluation("fraud", 2, "d" * 64, {"accuracy": 1.0})


def test_an_evaluation_that_is_not_json(registry: Registry, package: Build) -> None:
    registry.register(package())
    with pytest.raises(ConfigError, match=r"evaluation result of fraud:1 cannot be stored: "):
        registry.save_evaluation("fraud", 1, "d" * 64, {"when": datetime.now(UTC)})


def test_a_bad_tag_key_is_refused(registry: Registry, package: Build) -> None:
    registry.register(package())
    with pytest.raises(ConfigError, match=r"^bad tag key 'team name': expected letters"):
        registry.set_tag("fraud:1", "team name", "risk")

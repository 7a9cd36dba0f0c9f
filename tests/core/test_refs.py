"""Model references: the three forms, and the message for anything else."""

import pytest

from modelyard.core.errors import ConfigError
from modelyard.core.refs import ModelRef, check_name, parse_ref


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fraud", ModelRef("fraud")),
        ("fraud:3", ModelRef("fraud", version=3)),
        ("fraud@production", ModelRef("fraud", alias="production")),
        ("breast_cancer.v2-x:12", ModelRef("breast_cancer.v2-x", version=12)),
    ],
)
def test_parse_ref_reads_each_form(text: str, expected: ModelRef) -> None:
    assert parse_ref(text) == expected
    assert str(parse_ref(text)) == text


@pytest.mark.parametrize("text", ["", "fraud:", "fraud@", "fraud:x", "a b", "fraud:1@prod", ":3"])
def test_parse_ref_rejects_malformed_references_naming_the_forms(text: str) -> None:
    with pytest.raises(ConfigError, match="expected 'name', 'name:VERSION' or 'name@alias'"):
        parse_ref(text)


def test_check_name_rejects_a_name_with_a_slash() -> None:
    with pytest.raises(ConfigError, match="bad alias name 'prod/x'"):
        check_name("prod/x", "alias name")

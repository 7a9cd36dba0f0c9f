"""The errors modelyard raises.

Every error a user can cause derives from :class:`ModelyardError` and carries a one-line
message that says what was wrong and what was expected. The CLI prints that line and exits 2;
the server maps each class to an HTTP status. Anything else escaping is a bug.
"""

from __future__ import annotations


class ModelyardError(Exception):
    """A problem the user can fix; ``str(error)`` is the one line shown to them."""


class NotFoundError(ModelyardError):
    """A model, version, alias, endpoint or file that does not exist."""


class ConflictError(ModelyardError):
    """An operation refused because of the current state (e.g. deleting an aliased version)."""


class ConfigError(ModelyardError):
    """A configuration file or argument that does not fit its schema."""


class IntegrityError(ModelyardError):
    """Stored bytes that no longer match their recorded sha256: the package was altered."""


class ParityError(ModelyardError):
    """A converted model that does not predict what the original predicts."""


class RequirementMismatchError(ModelyardError):
    """A pickled model whose captured requirements differ from the loading environment."""


class UnsupportedModelError(ModelyardError):
    """A model object or file of a kind modelyard cannot package."""


class PayloadError(ModelyardError):
    """A request payload that does not fit the model's signature.

    ``problems`` lists every offending field as ``{"pointer", "expected", "got"}``; it never
    holds the payload's values, only their types and shapes.
    """

    def __init__(self, problems: list[dict[str, str]]) -> None:
        self.problems = problems
        summary = "; ".join(
            f"{p['pointer'] or '/'}: expected {p['expected']}, got {p['got']}" for p in problems
        )
        super().__init__(f"payload does not fit the signature: {summary}")


class GateFailedError(ModelyardError):
    """A version that fails one or more of the declared promotion gates."""

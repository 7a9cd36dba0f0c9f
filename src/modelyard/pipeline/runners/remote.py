"""What the remote runners share: one pooled HTTP client, JSON both ways, clear failures.

Bodies are written with orjson (numpy arrays serialised directly, no ``tolist``) and read
with orjson; a remote that cannot be reached, times out or answers an error status raises
:class:`RemoteError` naming the URL and status, never the payload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from pydantic import Field

from modelyard.core.errors import ModelyardError
from modelyard.pipeline.components import ComponentArgs

if TYPE_CHECKING:
    import httpx


class RemoteError(ModelyardError):
    """A remote inference server that is unreachable, too slow or answered an error."""


class RemoteArgs(ComponentArgs):
    """Connection settings every remote runner takes."""

    url: str = Field(pattern=r"^https?://", description="base URL of the remote server")
    headers: dict[str, str] = Field(default_factory=dict, description="e.g. Authorization")
    timeout_s: float = Field(10.0, gt=0)


class RemoteClient:
    """A pooled ``httpx.Client`` that sends and receives JSON, opened by ``load``."""

    def __init__(self, args: RemoteArgs) -> None:
        self._args = args
        self._client: httpx.Client | None = None

    def open(self) -> None:
        """Start the connection pool (thread-safe: the server calls from a thread pool)."""
        # Imported with the first remote runner: it would add ~0.1 s to every server's start.
        import httpx

        self._client = httpx.Client(
            base_url=self._args.url.rstrip("/"),
            headers={"content-type": "application/json", **self._args.headers},
            timeout=self._args.timeout_s,
        )

    def close(self) -> None:
        """Close the pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def get(self, path: str) -> httpx.Response:
        """``GET path`` (no status check: readiness probes read it themselves)."""
        return self._send("GET", path, None)

    def post_json(self, path: str, body: Any, method: str = "POST") -> Any:
        """Send ``body`` as JSON and return the decoded JSON answer (2xx only)."""
        content = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
        response = self._send(method, path, content)
        if response.status_code >= 400:
            detail = response.text[:200].replace("\n", " ")
            raise RemoteError(f"{response.request.url} answered {response.status_code}: {detail}")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise RemoteError(f"{response.request.url} did not answer JSON") from None

    def _send(self, method: str, path: str, content: bytes | None) -> httpx.Response:
        import httpx  # already loaded by open(): here only to name its error classes

        if self._client is None:
            raise ModelyardError(f"the runner for {self._args.url} is not loaded")
        try:
            return self._client.request(method, path, content=content)
        except httpx.TimeoutException:
            raise RemoteError(
                f"{self._args.url}{path} did not answer within {self._args.timeout_s} s"
            ) from None
        except httpx.HTTPError as error:
            raise RemoteError(f"{self._args.url}{path} is unreachable: {error}") from None

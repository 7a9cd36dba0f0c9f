"""Where an endpoint's prediction log goes inside the image.

The image's user may write only the registry's folder and the data folder (``/app/data``, a
volume), so a local ``parquet:`` store must land in the data folder: a relative path (relative
to where the server runs, as ``modelyard serve`` reads it) is placed under it, keeping its
shape (``parquet:logs`` becomes ``parquet:data/logs``, which the entry script, running from
``/app``, reads as ``/app/data/logs``). An absolute local path is kept only if it is already
inside ``/app/data``; any other could not be written by the server, so it is refused. Remote
stores (``s3://``...) and the registry store are left as they are.
"""

from __future__ import annotations

import posixpath

from modelyard.containerize.dockerfile import APP, DATA

LOCAL = (None, "file", "local")
"""fsspec protocols of this machine's own files (``None``: a plain path)."""

IMAGE_DATA = f"{APP}/{DATA}"


class OutsideData(ValueError):
    """A local log store the image's user could not write; the message says what to use."""


def image_store(store: str) -> str:
    """``logging.store`` as the image's endpoints file says it.

    Raises :class:`OutsideData` for a local path the server in the image could not write.
    """
    kind, _, url = store.partition(":")
    if kind != "parquet":
        return store
    from fsspec.core import split_protocol

    protocol, path = split_protocol(url)
    if protocol not in LOCAL:
        return store
    if posixpath.isabs(path) or path.startswith("~"):
        inside = posixpath.normpath(path)
        if inside == IMAGE_DATA or inside.startswith(IMAGE_DATA + "/"):
            return store
    else:
        inside = posixpath.normpath(posixpath.join(DATA, path))
        if inside == DATA or inside.startswith(DATA + "/"):
            return f"parquet:{inside}"
    raise OutsideData(
        f"{path}, outside {IMAGE_DATA}, the only folder the image's server may write logs "
        f"to: use a relative path (parquet:logs is kept in {IMAGE_DATA}/logs, a volume), a "
        f"path under {IMAGE_DATA}, or a remote store such as parquet:s3://BUCKET/logs"
    )

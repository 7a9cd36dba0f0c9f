"""The inference server: native and Open Inference Protocol routes, metrics, hot reload."""

from modelyard.serving.app import Server
from modelyard.serving.server import run

__all__ = ["Server", "run"]

"""Container images of a set of endpoints: ``modelyard containerize`` writes a build context
(Dockerfile, pinned serving install, verified packages in a registry of their own) that
``docker build`` turns into a server needing nothing outside the image."""

from modelyard.containerize.context import BuildContext, build_context

__all__ = ["BuildContext", "build_context"]

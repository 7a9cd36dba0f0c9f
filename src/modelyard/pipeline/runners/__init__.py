"""Runners: named arrays in, named arrays out — a package's own model file or a remote server."""

"""Foundations shared by every layer: errors, references, hashing and typed YAML config."""

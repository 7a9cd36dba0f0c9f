"""Encoders: request payloads (JSON or bytes) → named arrays checked against the signature."""

"""The ``modelyard`` command: thin typer commands over the library."""

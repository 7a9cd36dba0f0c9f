"""``python -m modelyard.cli``: the ``modelyard`` command without its console script."""

from modelyard.cli.main import main

main()

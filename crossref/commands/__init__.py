"""Sub-commands of the CLI, one module per area; each registers with ``crossref.cli.command``.

A command only reads its input, calls the library and renders what it returns.
"""

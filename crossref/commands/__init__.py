"""Sub-commands of the CLI, one module per area; each registers with
``crossref.commands._common.command`` (never importing ``crossref.cli``).

A command only reads its input, calls the library and renders what it returns.
"""

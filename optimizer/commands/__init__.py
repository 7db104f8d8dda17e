"""Subcommands of ``lifecircle`` kept in modules of their own (added to the group in :mod:`optimizer.cli`)."""

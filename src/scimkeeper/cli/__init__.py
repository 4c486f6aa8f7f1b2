"""Operator commands: serve, migrate, accounts, plans, domains, tokens, members, purge, keys. Every command
accepts --json."""

from scimkeeper.cli import accounts, app_keys, domains, members, serve
from scimkeeper.cli.base import main

__all__ = ["accounts", "app_keys", "domains", "main", "members", "serve"]

"""`python -m scimkeeper`: the operator CLI."""

from scimkeeper.cli import main

main()

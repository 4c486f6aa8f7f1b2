"""The product's rules: accounts and plans, tokens, the member lifecycle, audit.

Functions take a transaction and an explicit `now`; they raise domain errors that carry no HTTP status.
"""

"""SCIM 2.0 (RFC 7643, RFC 7644) as pure code: no I/O, no framework, no clock, no database."""

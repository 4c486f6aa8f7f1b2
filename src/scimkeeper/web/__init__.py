"""The ASGI edge: SCIM routes, authentication, and the one place errors become responses."""

"""scimkeeper: keeps a SaaS application's account members in sync with the company's identity provider (SCIM 2.0)."""

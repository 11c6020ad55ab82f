"""The Routee-compatible HTTP API: routes, wire schemas, auth dependencies, error mapping."""

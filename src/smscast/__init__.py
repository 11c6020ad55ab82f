"""smscast: a self-hosted SMS campaign platform with a Routee-compatible HTTP API."""

__version__ = "0.1.0"

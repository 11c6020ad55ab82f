"""Use cases. Each public coroutine owns its transaction; routes and the CLI call these."""

"""`python -m smscast` runs the CLI."""

from smscast.cli import main

main()

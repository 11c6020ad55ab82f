"""The SMSC side of SMPP: a simulator for local use, tests and benchmarks (``smscast smsc``)."""

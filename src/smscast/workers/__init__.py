"""Workers: the scheduler, dispatcher, receipt intake and expiry loops, and their runtime."""

"""The scheduler process: a sweep (tick) every minute, run as its own process, never inside web workers."""

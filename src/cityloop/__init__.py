"""cityloop."""

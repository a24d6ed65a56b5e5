"""State of the registry extension."""

"""Registry webhooks of the workspace model registry: CRUD and test endpoints, events, and their delivery."""

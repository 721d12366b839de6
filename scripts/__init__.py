"""Developer tools run from the repository root (`make run`, `make status`, the members check)."""

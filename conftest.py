"""Fixtures shared by every test suite in the repository (see testkit/)."""

pytest_plugins = ["testkit.fixtures"]

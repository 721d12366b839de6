"""Test support shared by every test suite: a real PostgreSQL, free ports, real service processes."""

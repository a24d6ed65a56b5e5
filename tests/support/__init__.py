"""Helpers shared by the test folders (the root conftest puts tests/ on sys.path): `from support.waiting import wait_for`."""

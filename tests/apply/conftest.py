"""The apply tests' shared fixtures: a frozen sample project and a `Setup` that edits and applies."""

from tests.apply.test_engine import frozen, setup  # noqa: F401 (registered as fixtures for every apply test)

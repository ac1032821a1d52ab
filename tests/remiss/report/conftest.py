"""The report tests' round: the same tree as the positions tests (a module-scoped template, a fresh copy per test)."""

from ..record.test_positions import root, template  # noqa: F401 (registered as fixtures for every test in this folder)

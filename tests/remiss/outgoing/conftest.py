"""Fixtures shared by the outgoing tests: the real SMTP server (aiosmtpd on 127.0.0.1) of the mail and
follow-up tests, and the copies of the sources and templates that the pack and missiv tests change."""

from .test_mail import server, smtp  # noqa: F401 (registered as fixtures for every test in this folder)
from .test_pack import sources, templates  # noqa: F401 (the same)

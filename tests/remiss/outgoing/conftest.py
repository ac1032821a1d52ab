"""The outgoing tests' real SMTP server (aiosmtpd on 127.0.0.1), shared by the mail and follow-up tests."""

from .test_mail import server, smtp  # noqa: F401 (registered as fixtures for every test in this folder)

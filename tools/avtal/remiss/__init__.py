"""Remiss rounds: per-party packages and e-mail out, answers in, positions and the report.

Imports downward only: `model` (parties, rounds, answers, corpus) and `render`.
"""

"""Remiss rounds, in rooms that follow the answers: `outgoing` (packages and e-mail out), `incoming`
(answers in), `record` (answers and positions in sources/) and `report` (the remissammanställning).

Imports downward only: `model` (parties, rounds, answers, corpus), `render` and `redline`.
"""

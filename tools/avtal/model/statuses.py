"""The working group's position statuses, in a module of their own so the CLI can offer them
as choices without importing the remiss model (pydantic) on every start."""

POSITION_STATUSES: tuple[str, ...] = ("beaktad", "delvis beaktad", "ej beaktad", "noterad")

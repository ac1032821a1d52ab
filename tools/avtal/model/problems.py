"""Problems found in sources: collected, never raised one at a time.

Every check appends to a `Problems` list so that a user sees every error in
one run (the mkdocs habit), each naming file, line, column and clause id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Literal

Severity = Literal["error", "warning", "note"]  # a note is shown but never fails a check, not even --strict


@dataclass(frozen=True, order=True)
class Location:
    """Where in a source file: 1-based line and column."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One finding: where, in which clause or key path, what is wrong and what was expected."""

    location: Location
    message: str
    severity: Severity = "error"
    where: str = ""  # clause id or key path, e.g. "ansvar.sip" or "sections[2].title"

    def __str__(self) -> str:
        where = f" [{self.where}]" if self.where else ""
        return f"{self.location}: {self.severity}{where}: {self.message}"


@dataclass
class Problems:
    """An ordered collection of problems; `errors` decides the exit code."""

    items: list[Problem] = field(default_factory=list)

    def add(self, location: Location, message: str, *, where: str = "", severity: Severity = "error") -> None:
        self.items.append(Problem(location, message, severity, where))

    def extend(self, other: "Problems") -> None:
        self.items.extend(other.items)

    def __iter__(self) -> Iterator[Problem]:
        return iter(sorted(self.items, key=lambda p: (p.location, p.message)))

    def __len__(self) -> int:
        return len(self.items)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self if p.severity == "warning"]

    def strict(self) -> "Problems":
        """The same problems with every warning promoted to an error (`--strict`)."""
        return Problems([Problem(p.location, p.message, "note" if p.severity == "note" else "error", p.where)
                         for p in self.items])


class SourceError(Exception):
    """Raised where loading cannot go on; carries every problem found so far."""

    def __init__(self, problems: Problems):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def at(cls, where: str, message: str) -> "SourceError":
        """One problem at `where` (a file as shown, or "command line"), to raise."""
        problems = Problems()
        problems.add(Location(where), message)
        return cls(problems)


def relative(path: Path, root: Path | None = None) -> str:
    """A path as the user should see it: relative to the root when possible."""
    try:
        return str(path.resolve().relative_to((root or Path.cwd()).resolve()))
    except ValueError:
        return str(path)

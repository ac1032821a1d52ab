"""The model layer: sources in, a frozen and resolved Corpus out. No rendering here."""

from .corpus import Clause, Corpus, Document, Term, load
from .problems import Location, Problem, Problems

__all__ = ["Clause", "Corpus", "Document", "Location", "Problem", "Problems", "Term", "load"]

"""avtal: drafting toolchain for the Hälso- och sjukvårdsavtal of Västra Götaland."""

__version__ = "0.1.0"

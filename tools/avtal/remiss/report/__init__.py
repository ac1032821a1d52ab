"""The remissammanställning: the answers and positions traced to the next version, with charts."""

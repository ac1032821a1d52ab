"""Redlines between two versions: diff by clause id, then present with the ordinary renderers."""

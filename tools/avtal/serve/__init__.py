"""`avtal serve`: a live preview of the web edition while drafting.

The model stays warm in one process: an edit reloads the file edited, re-renders only the
outputs whose build fingerprints changed (the web pages at once, then PDF and Word in the
background) and tells the open pages to update; `avtal check` errors appear as an overlay.
The pages also show a remiss round: who has answered and each clause's comments.

Layers: `preview` (model → dist/), `views` (what only the server shows), `server` (HTTP, events,
file watching). Nothing but the cli imports this package.
"""

from .server import serve

__all__ = ["serve"]

"""The web view of a running rack (issue 10): elevation, power, cabling, actions and the live journal.

A package standing on vrack's public surface only: ``vrack up`` mounts it beside the control API
through the ``vrack.web`` entry point group (:func:`mount`), and the page, plain HTML/CSS/JS
shipped as package data, reads and acts through the control API alone (``/api/v1/...`` JSON and
the journal's Server-Sent Events).  Nothing here imports the rack's internals.
"""

from vrack_web.site import PAGE_FILES, WebView, mount

__all__ = ["PAGE_FILES", "WebView", "mount"]

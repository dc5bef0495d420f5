"""Reads that need more than one line."""


def home_panel(user) -> dict | None:
    """What the home page shows of this app for ``user``: a dict with
    ``title``, ``template`` and the template's context, or None."""
    return None

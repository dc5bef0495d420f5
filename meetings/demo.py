"""This app's part of `manage.py seed_demo`."""


def seed(*, desks: dict, election_round) -> str:
    """Create this app's demo records for the demo ``desks`` (desk.demo.DemoDesk
    by key) and the live training ``election_round``; idempotent. Returns a
    one-line summary for the command's output."""
    return ""

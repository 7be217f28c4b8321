"""Survey rounds: a playbook's team opens a round, hands out codes, and closes it."""

from playbook.rounds.routes import bp

__all__ = ["bp"]

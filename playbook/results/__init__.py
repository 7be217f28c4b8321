"""Survey results: a round's figures with small groups protected, the trend across a
playbook's rounds, the plays that could help the weakest components, exports, public
results and the removal of old raw answers."""

from playbook.results.routes import bp

__all__ = ["bp"]

"""What a generation run is asked for: the sizes (Scale), the benchmark playbook's
fixed title and sizes, and the password every generated account shares. Kept apart
from the generator so its parts (comments, playbooks) can read them without
importing the generator back."""

from __future__ import annotations

from dataclasses import dataclass

BENCHMARK_TITLE = "Benchmark playbook"
BENCHMARK_ITEMS = 50
BENCHMARK_COMMENTS = 100
# Every generated account signs in with this password (generated data is for
# development and benchmarks only; never load it into a real site).
PASSWORD = "generated data only"
BATCH = 2000


@dataclass
class Scale:
    users: int = 2000
    resources: int = 10000
    plays: int = 300
    frameworks: int = 3
    playbooks: int = 1000
    items_per_playbook: int = 50
    comments: int = 100000
    distinct_comments: int = 3000
    seed: int = 1

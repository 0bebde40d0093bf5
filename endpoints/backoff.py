"""Exponential back-off with full jitter: after a fault 26 endpoints must not all knock on the
server in the same instant, and none may wait so long that rejoining misses the target."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base: float = 0.5
    cap: float = 4.0
    attempts: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        """Uniform in [base/2, min(cap, base * 2**attempts)]; the floor keeps retries from spinning."""
        ceiling = min(self.cap, self.base * (2 ** self.attempts))
        self.attempts += 1
        return self.rng.uniform(min(self.base / 2, ceiling), ceiling)

    def reset(self) -> None:
        self.attempts = 0

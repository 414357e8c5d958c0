"""Requests-per-minute and tokens-per-minute limits as two async token buckets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class RateLimiter:
    """Wait until one more request of `tokens` tokens fits both per-minute budgets.

    Each budget is a bucket holding up to one minute's allowance, refilled continuously; a
    request larger than the whole token budget waits for a full bucket and then goes.
    `None` disables a limit.
    """

    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rpm = rpm
        self.tpm = tpm
        self._clock = clock
        self._sleep = sleep
        self._requests = float(rpm or 0)
        self._tokens = float(tpm or 0)
        self._stamp = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._stamp
        self._stamp = now
        if self.rpm:
            self._requests = min(self.rpm, self._requests + elapsed * self.rpm / 60.0)
        if self.tpm:
            self._tokens = min(self.tpm, self._tokens + elapsed * self.tpm / 60.0)

    async def acquire(self, tokens: int) -> None:
        """Take one request and `tokens` tokens from the budgets, waiting as needed."""
        if not self.rpm and not self.tpm:
            return
        async with self._lock:
            while True:
                self._refill()
                need_tokens = min(float(tokens), float(self.tpm)) if self.tpm else 0.0
                wait = 0.0
                if self.rpm and self._requests < 1.0:
                    wait = max(wait, (1.0 - self._requests) * 60.0 / self.rpm)
                if self.tpm and self._tokens < need_tokens:
                    wait = max(wait, (need_tokens - self._tokens) * 60.0 / self.tpm)
                if wait <= 0:
                    if self.rpm:
                        self._requests -= 1.0
                    if self.tpm:
                        self._tokens -= need_tokens
                    return
                await self._sleep(wait)

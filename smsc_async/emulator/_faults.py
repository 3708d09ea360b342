"""Fault knobs: make the emulator slow, drop connections, or answer with errors."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

__all__ = ["Fault", "Faults", "RandomFaults"]

_DEFAULT_STATUSES = (500, 502, 503)


def _script_name(script: str | None) -> str | None:
    if script is None:
        return None
    script = script.strip().lstrip("/").removeprefix("sys/")
    return script if script.endswith(".php") else f"{script}.php"


@dataclass(slots=True)
class Fault:
    """One pending one-shot fault.

    Attributes:
        kind: ``"drop"``, ``"drop_after_processing"``, ``"http_error"``,
            ``"plain_text_error"`` or ``"api_error"``.
        remaining: How many more requests it applies to.
        script: The script it targets (``"send.php"``), or ``None`` for every script.
        value: The HTTP status (``http_error``) or SMSC error code (the two error kinds).
    """

    kind: str
    remaining: int
    script: str | None
    value: int = 0


@dataclass(frozen=True, slots=True)
class RandomFaults:
    """The persistent random faults set by :meth:`Faults.randomly`.

    Attributes:
        drop: Share of requests whose connection is closed without an answer.
        after_processing: Share of those drops that happen after the request took effect
            (a send stored and charged): the "maybe sent" case.
        http_error: Share of requests answered with an HTML error page, before processing.
        statuses: The HTTP statuses those pages carry, drawn evenly.
        delay: ``(shortest, longest)`` seconds added to every answer, drawn evenly;
            ``None`` for none.
        script: The script they target (``"send.php"``), or ``None`` for every script.
        seed: The seed of the draws, ``None`` when unseeded.
    """

    drop: float
    after_processing: float
    http_error: float
    statuses: tuple[int, ...]
    delay: tuple[float, float] | None
    script: str | None
    seed: int | None


def _share(name: str, value: float) -> float:
    if not 0 <= value <= 1:  # also refuses NaN
        raise ValueError(f"{name} must be a share between 0 and 1, got {value!r}")
    return float(value)


def _delay_range(delay: tuple[float, float] | None) -> tuple[float, float] | None:
    if delay is None:
        return None
    low, high = delay
    if not (0 <= low <= high and math.isfinite(high)):
        raise ValueError(
            f"delay must be (shortest, longest) with 0 <= shortest <= longest, got {delay!r}"
        )
    return None if high == 0 else (float(low), float(high))


class Faults:
    """The fault knobs of one :class:`~smsc_async.emulator.Emulator` (``emu.faults``).

    One-shot faults (drop, http_error, plain_text_error, api_error) apply to the next ``n``
    matching requests, in the order they were set; each request takes at most one. A script
    may be given as ``"send.php"``, ``"send"`` or ``"/sys/send.php"``; ``None`` targets all.
    The delay is persistent and combines with any one-shot fault.

    :meth:`randomly` adds persistent random faults (dropped connections, error pages, delays)
    drawn per request from a seeded generator; pending one-shot faults go first.

    Requests that a fault stops before processing (everything except
    ``drop(after_processing=True)`` and the delay) never reach the SMSC logic: nothing is
    checked, stored or charged, and the limits do not count them. They are still recorded
    and count in ``in_flight`` while being answered.

    Attributes:
        injected: How many requests each kind of fault was applied to, one-shot and random
            together: ``"drop"``, ``"drop_after_processing"``, ``"http_error"``,
            ``"plain_text_error"``, ``"api_error"``, and ``"delay"`` for delayed answers.
            Kinds never applied are absent; the dict may be cleared.
    """

    def __init__(self) -> None:
        self._pending: list[Fault] = []
        self._delays: dict[str | None, float] = {}
        self._random: RandomFaults | None = None
        self._rng = random.Random()  # noqa: S311 - fault draws of a test double
        self.injected: dict[str, int] = {}

    def delay(self, seconds: float, script: str | None = None) -> None:
        """Delay every answer (to ``script``, or to all) by ``seconds`` of loop time.

        The request is processed at arrival (stored, charged, counted) and answered after
        the delay; the request stays in flight meanwhile. A script's own delay replaces the
        delay for all. ``delay(0)`` clears the delay for that target.

        Raises:
            ValueError: If ``seconds`` is negative.
        """
        if seconds < 0:
            raise ValueError(f"the delay must be >= 0 seconds, got {seconds}")
        target = _script_name(script)
        if seconds == 0:
            self._delays.pop(target, None)
        else:
            self._delays[target] = seconds

    def drop(self, n: int = 1, script: str | None = None, after_processing: bool = False) -> None:
        """Close the connection of the next ``n`` requests without answering.

        Args:
            n: How many requests to drop.
            script: The script to target, or ``None`` for all.
            after_processing: Let the request take effect first (a send is stored and
                charged) and drop only the answer: the "maybe sent" case.
        """
        kind = "drop_after_processing" if after_processing else "drop"
        self._add(Fault(kind, self._checked(n), _script_name(script)))

    def http_error(self, n: int = 1, status: int = 502, script: str | None = None) -> None:
        """Answer the next ``n`` requests with an HTML error page, like a failing proxy.

        Raises:
            ValueError: If ``status`` is not an HTTP error status (400..599).
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status 400..599, got {status}")
        self._add(Fault("http_error", self._checked(n), _script_name(script), status))

    def plain_text_error(self, n: int = 1, code: int = 1, script: str | None = None) -> None:
        """Answer the next ``n`` requests ``ERROR = code (description)`` as text/plain.

        This happens whatever ``fmt`` asked, the way some SMSC scripts answer.
        """
        self._add(Fault("plain_text_error", self._checked(n), _script_name(script), code))

    def api_error(self, n: int = 1, code: int = 1, script: str | None = None) -> None:
        """Answer the next ``n`` requests with SMSC error ``code`` in the asked ``fmt``.

        For send.php errors 3, 6, 7 and 8 the envelope carries an id: the client's ``id``
        when it sent a valid one, else a fresh server id.
        """
        self._add(Fault("api_error", self._checked(n), _script_name(script), code))

    def randomly(
        self,
        *,
        drop: float = 0.0,
        http_error: float = 0.0,
        delay: tuple[float, float] | None = None,
        after_processing: float = 0.5,
        statuses: tuple[int, ...] = _DEFAULT_STATUSES,
        seed: int | None = None,
        script: str | None = None,
    ) -> None:
        """Fault a share of every later request at random, until changed or cleared.

        One draw per request decides its fault: a dropped connection with probability
        ``drop`` (a share ``after_processing`` of them after the request took effect, the
        rest before it reached the SMSC logic), else an HTML error page with probability
        ``http_error`` (before processing, like a failing proxy), else none. With ``delay``
        every answer also waits a time drawn evenly from the range, added to any
        :meth:`delay`. With a ``seed`` the same sequence of requests meets the same faults.
        A new call replaces the previous setting; all shares zero and no delay turn it off.

        Example::

            emu.faults.randomly(drop=0.10, http_error=0.05, delay=(0.0, 0.02), seed=1)

        Args:
            drop: Share of requests dropped, 0 to 1.
            http_error: Share of requests answered with an error page, 0 to 1.
            delay: ``(shortest, longest)`` seconds to hold every answer, or ``None``.
            after_processing: Share of the drops that happen after processing, 0 to 1.
            statuses: HTTP statuses of the error pages, drawn evenly (default 500, 502, 503).
            seed: Seed of the draws; ``None`` draws from fresh entropy.
            script: The script to target, or ``None`` for all.

        Raises:
            ValueError: A share outside 0..1, ``drop + http_error`` over 1, a bad delay
                range, or a status that is not an HTTP error status (400..599).
        """
        drop = _share("drop", drop)
        http_error = _share("http_error", http_error)
        if drop + http_error > 1:
            raise ValueError(f"drop + http_error must be at most 1, got {drop + http_error}")
        after_processing = _share("after_processing", after_processing)
        statuses = tuple(statuses)
        if not statuses or any(not 400 <= status <= 599 for status in statuses):
            raise ValueError(f"statuses must be HTTP error statuses 400..599, got {statuses!r}")
        delay = _delay_range(delay)
        self._rng.seed(seed)
        if drop == 0 and http_error == 0 and delay is None:
            self._random = None
            return
        self._random = RandomFaults(
            drop=drop,
            after_processing=after_processing,
            http_error=http_error,
            statuses=statuses,
            delay=delay,
            script=_script_name(script),
            seed=seed,
        )

    def clear(self) -> None:
        """Remove every pending fault, every delay and the random faults (counts stay)."""
        self._pending.clear()
        self._delays.clear()
        self._random = None

    @property
    def pending(self) -> tuple[Fault, ...]:
        """The one-shot faults still waiting for requests, in order."""
        return tuple(self._pending)

    @property
    def random_faults(self) -> RandomFaults | None:
        """The random faults in force (see :meth:`randomly`), ``None`` when off."""
        return self._random

    @staticmethod
    def _checked(n: int) -> int:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        return n

    def _count(self, kind: str) -> None:
        self.injected[kind] = self.injected.get(kind, 0) + 1

    def _add(self, fault: Fault) -> None:
        self._pending.append(fault)

    def take(self, script: str) -> Fault | None:
        """Consume and return the fault for this request to ``script`` (emulator-internal).

        The first matching pending one-shot fault, else a random draw, else ``None``.
        """
        for index, fault in enumerate(self._pending):
            if fault.script is None or fault.script == script:
                fault.remaining -= 1
                if fault.remaining == 0:
                    del self._pending[index]
                self._count(fault.kind)
                return fault
        plan = self._random
        if plan is None or (plan.script is not None and plan.script != script):
            return None
        draw = self._rng.random()
        if draw < plan.drop:
            after = draw < plan.drop * plan.after_processing
            fault = Fault("drop_after_processing" if after else "drop", 1, plan.script)
        elif draw < plan.drop + plan.http_error:
            status = plan.statuses[self._rng.randrange(len(plan.statuses))]
            fault = Fault("http_error", 1, plan.script, status)
        else:
            return None
        self._count(fault.kind)
        return fault

    def delay_for(self, script: str) -> float:
        """Return the delay for this request to ``script`` in seconds (emulator-internal)."""
        delay = 0.0
        if self._delays:
            delay = self._delays.get(script, self._delays.get(None, 0.0))
        plan = self._random
        if (
            plan is not None
            and plan.delay is not None
            and (plan.script is None or plan.script == script)
        ):
            delay += self._rng.uniform(*plan.delay)
        if delay > 0:
            self._count("delay")
        return delay

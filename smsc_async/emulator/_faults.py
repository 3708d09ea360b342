"""Fault knobs: make the emulator slow, drop connections, or answer with errors."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Fault", "Faults"]


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


class Faults:
    """The fault knobs of one :class:`~smsc_async.emulator.Emulator` (``emu.faults``).

    One-shot faults (drop, http_error, plain_text_error, api_error) apply to the next ``n``
    matching requests, in the order they were set; each request takes at most one. A script
    may be given as ``"send.php"``, ``"send"`` or ``"/sys/send.php"``; ``None`` targets all.
    The delay is persistent and combines with any one-shot fault.

    Requests that a fault stops before processing (everything except
    ``drop(after_processing=True)`` and the delay) never reach the SMSC logic: nothing is
    checked, stored or charged, and the limits do not count them. They are still recorded
    and count in ``in_flight`` while being answered.
    """

    def __init__(self) -> None:
        self._pending: list[Fault] = []
        self._delays: dict[str | None, float] = {}

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
        self._add(Fault(kind, self._count(n), _script_name(script)))

    def http_error(self, n: int = 1, status: int = 502, script: str | None = None) -> None:
        """Answer the next ``n`` requests with an HTML error page, like a failing proxy.

        Raises:
            ValueError: If ``status`` is not an HTTP error status (400..599).
        """
        if not 400 <= status <= 599:
            raise ValueError(f"status must be an HTTP error status 400..599, got {status}")
        self._add(Fault("http_error", self._count(n), _script_name(script), status))

    def plain_text_error(self, n: int = 1, code: int = 1, script: str | None = None) -> None:
        """Answer the next ``n`` requests ``ERROR = code (description)`` as text/plain.

        This happens whatever ``fmt`` asked, the way some SMSC scripts answer.
        """
        self._add(Fault("plain_text_error", self._count(n), _script_name(script), code))

    def api_error(self, n: int = 1, code: int = 1, script: str | None = None) -> None:
        """Answer the next ``n`` requests with SMSC error ``code`` in the asked ``fmt``.

        For send.php errors 3, 6, 7 and 8 the envelope carries an id: the client's ``id``
        when it sent a valid one, else a fresh server id.
        """
        self._add(Fault("api_error", self._count(n), _script_name(script), code))

    def clear(self) -> None:
        """Remove every pending fault and every delay."""
        self._pending.clear()
        self._delays.clear()

    @property
    def pending(self) -> tuple[Fault, ...]:
        """The one-shot faults still waiting for requests, in order."""
        return tuple(self._pending)

    @staticmethod
    def _count(n: int) -> int:
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n}")
        return n

    def _add(self, fault: Fault) -> None:
        self._pending.append(fault)

    def take(self, script: str) -> Fault | None:
        """Consume and return the first pending fault for ``script`` (emulator-internal)."""
        for index, fault in enumerate(self._pending):
            if fault.script is None or fault.script == script:
                fault.remaining -= 1
                if fault.remaining == 0:
                    del self._pending[index]
                return fault
        return None

    def delay_for(self, script: str) -> float:
        """Return the delay for ``script`` in seconds (emulator-internal)."""
        if not self._delays:
            return 0.0
        return self._delays.get(script, self._delays.get(None, 0.0))

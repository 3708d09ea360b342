"""The export file's parser: bytes as they arrive to :class:`ExportRow` (no network).

Whole records are rewritten block by block into JSON that msgspec decodes straight into rows;
a block it cannot take that way goes record by record through the csv module.
"""

from __future__ import annotations

import builtins
import csv
import io
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Final

import msgspec

from ._export_files import _NUMBERS, _PARSERS, EXPORT_COLUMNS, ExportRow
from ._secrets import reach
from .errors import ResponseDecodeError

# A CSV record (one row, with its quoted line breaks) longer than this means a broken file (an
# unbalanced quote); refusing it keeps memory bounded.
_MAX_RECORD: Final = 16 * 1024 * 1024
# Bytes of records rows() converts at a time.
_PIECE: Final = 64 * 1024
_SCRIPT: Final = "downloads.php"

_DEFAULTS: Final = {field.name: field.default for field in msgspec.structs.fields(ExportRow)}
_ROWS: Final = msgspec.json.Decoder(builtins.list[ExportRow], strict=False)
_BOM: Final = b"\xef\xbb\xbf"
# Control bytes _JSONRows lends itself while it rewrites a block (a block holding one is parsed
# record by record): one joins pieces to be split again, one stands for a delimiter in quotes,
# one marks the end of a record.
_JOIN: Final = b"\x1e"
_KEPT: Final = b"\x1f"
_MARK: Final = b"\x1d"
# Inside quotes, in this order: a backslash first, then what JSON strings cannot hold raw.
_INNER_ESCAPES: Final = (
    (b"\\", b"\\\\"),
    (b'""', b'\\"'),
    (b"\n", b"\\n"),
    (b"\r", b"\\r"),
    (b"\t", b"\\t"),
)


class _RowMaker:
    """Turns CSV records into :class:`ExportRow` by a column layout."""

    __slots__ = ("_count", "_fast", "_known", "_unknown")

    def __init__(self, names: Sequence[str]) -> None:
        self._known: list[tuple[int, str, Callable[[str], object]]] = []
        self._unknown: list[tuple[int, str]] = []
        for position, raw in enumerate(names):
            name = raw.strip().lower()
            if name in _PARSERS:
                self._known.append((position, name, _PARSERS[name]))
            else:
                self._unknown.append((position, raw.strip() or f"column_{position}"))
        self._count = len(names)
        self._fast: _JSONRows | bool | None = False  # False: not made yet (needs the delimiter)

    @classmethod
    def start(cls, first: Sequence[str]) -> tuple[_RowMaker, bool]:
        """Return the layout the first record implies and whether it is a header row."""
        named = sum(cell.strip().lower() in _PARSERS for cell in first)
        if named >= min(2, len(first)):
            return cls(first), True
        extra = [f"column_{n}" for n in range(len(EXPORT_COLUMNS), len(first))]
        return cls([*EXPORT_COLUMNS, *extra]), False

    def rows(self, block: bytes, records: _CSVRecords) -> builtins.list[ExportRow]:
        """Parse a block of whole records: at once when it is regular, else record by record."""
        fast = self._fast
        if fast is False:
            known = [(position, name) for position, name, _ in self._known]
            fast = self._fast = _JSONRows.make(known, self._unknown, records.delimiter or ",")
        if isinstance(fast, _JSONRows):
            rows = fast(block)
            if rows is not None:
                return rows
        return [self(record) for record in records.records(block)]

    def __call__(self, cells: Sequence[str]) -> ExportRow:
        if len(cells) == self._count:
            # msgspec converts the text cells in C, ten times faster than the loop below, and
            # as _JSONRows does; a cell it cannot read sends the row the lenient way.
            present: dict[str, object] = {
                name: cells[position] for position, name, _ in self._known if cells[position]
            }
            if self._unknown:
                present["extra"] = {name: cells[position] for position, name in self._unknown}
            cost = present.get("cost")
            if isinstance(cost, str) and "," in cost:
                present["cost"] = cost.replace(",", ".")  # a decimal comma
            try:
                row = msgspec.convert(present, ExportRow, strict=False)
            except msgspec.ValidationError:
                pass
            else:
                if row.cost is None or row.cost.is_finite():
                    return row
        return self._lenient(cells)

    def _lenient(self, cells: Sequence[str]) -> ExportRow:
        count = len(cells)
        fields: dict[str, object] = {}
        for position, name, parse in self._known:
            if position < count and (cell := cells[position]) != "":
                value = parse(cell)
                if value is not None:
                    fields[name] = value
        extra = {name: cells[pos] for pos, name in self._unknown if pos < count}
        for position in range(len(self._known) + len(self._unknown), count):
            extra[f"column_{position}"] = cells[position]
        return ExportRow(**fields, extra=extra)  # type: ignore[arg-type]  # parsed per column


class _JSONRows:
    """Turn a block of whole CSV records into :class:`ExportRow` in a few C calls.

    Record by record, parsing costs microseconds of Python per row. Here the whole block is
    rewritten into a JSON array of objects by bytes operations over all of it (split, replace,
    join: no Python code per row or cell), which msgspec decodes into rows at once, to the same
    values as the record path's lax ``msgspec.convert`` gives. Only a regular block
    qualifies: every record has the layout's number of cells, quotes only around whole fields,
    CRLF or LF line ends, valid UTF-8, and every cell is one msgspec reads (a decimal comma in
    the cost is turned into a point first). For any other block :meth:`__call__` returns
    ``None`` and it is parsed record by record, by the csv module's rules, leniently.
    """

    __slots__ = (
        "_cost",
        "_delimiter",
        "_first",
        "_last",
        "_n",
        "_optional",
        "_order",
        "_quoted",
        "_tokens",
    )

    def __init__(
        self, known: Sequence[tuple[int, str]], unknown: Sequence[tuple[int, str]], delimiter: str
    ) -> None:
        # An object's keys in the order written: the known columns, then the unknown ones
        # inside the object of "extra" (so the cells leave the file's order only when an
        # unknown column comes before a known one). Numbers go in bare (msgspec reads them a
        # fifth faster than text; a cell that is not a JSON number fails the block), text quoted.
        quotes = [b"" if name in _NUMBERS else b'"' for _, name in known] + [b'"'] * len(unknown)
        heads = [
            b'"' + name.encode() + b'":' + quote
            for (_, name), quote in zip(known, quotes[: len(known)], strict=True)
        ]
        names = [msgspec.json.encode(name) for _, name in unknown]
        if names:
            heads += [b'"extra":{' + names[0] + b':"', *(name + b':"' for name in names[1:])]
        end = quotes[-1] + (b"}}" if names else b"}")
        # tokens[i] goes before the i-th cell of every record: it closes the cell before (the
        # first token, the record before; the first record's is _first, and _last ends all).
        self._tokens = [end + b",{" + heads[0]]
        self._tokens += [b"%s,%s" % pair for pair in zip(quotes[:-1], heads[1:], strict=True)]
        self._last = end + b"]"
        order = [position for position, _ in [*known, *unknown]]
        n = self._n = len(order)
        # None when the cells keep the file's order: one slice assignment places them all.
        self._order = None if order == list(range(n)) else tuple(order)
        # An empty cell of a column whose default is not "" goes, as "" or null, to a key that
        # ExportRow ignores, so that the field keeps its default.
        ignored = [b'"_":' + (quote or b"null") for quote in quotes]
        self._first = (b"[{" + heads[0], b"[{" + ignored[0])
        dummies = [end + b",{" + ignored[0]]
        dummies += [b"%s,%s" % pair for pair in zip(quotes[:-1], ignored[1:], strict=True)]
        self._optional = [
            (index, position, {b"": dummies[index]})
            for index, (position, name) in enumerate(known)
            if _DEFAULTS[name] != ""
        ]
        self._cost = next((position for position, name in known if name == "cost"), None)
        self._delimiter = delimiter.encode()
        d = re.escape(self._delimiter)
        # A whole quoted field, its content captured: it opens at the start of a cell and
        # closes at its end (a doubled quote inside stands for one).
        self._quoted = re.compile(
            b'"(?<![^' + d + b'\r\n]")([^"]*(?:""[^"]*)*)"(?![^' + d + b"\r\n])"
        )

    @classmethod
    def make(
        cls, known: Sequence[tuple[int, str]], unknown: Sequence[tuple[int, str]], delimiter: str
    ) -> _JSONRows | None:
        """Return the fast path for a layout, or ``None`` when it has none."""
        if (
            # A letter or a backslash would mix with the escapes written, a quote with JSON's.
            len(delimiter) != 1
            or not delimiter.isascii()
            or delimiter.isalnum()
            or not (delimiter.isprintable() or delimiter == "\t")
            or delimiter in '"\\'
            or len(known) + len(unknown) < 2
            # A name twice: the record path's dict keeps the last cell; leave it to that path.
            or len({name for _, name in known}) < len(known)
            or len({name for _, name in unknown}) < len(unknown)
        ):
            return None
        return cls(known, unknown, delimiter)

    def __call__(self, block: bytes) -> builtins.list[ExportRow] | None:
        """Return the rows of ``block`` (whole records), or ``None`` when it is not regular."""
        if _JOIN in block or _KEPT in block or _MARK in block:
            return None
        d, n = self._delimiter, self._n
        skeleton = self._skeleton(block)
        if skeleton is None:
            return None
        # Every line break becomes a delimiter too, the last cell of each record marked: the
        # records are regular (n cells each) when the marks are exactly where the last cells
        # fall, which one slice checks. The file's line ends are CRLF or LF, not both.
        newline = b"\r\n" if b"\r" in skeleton else b"\n"
        if skeleton.endswith(newline):
            skeleton = skeleton[: -len(newline)]
        skeleton = skeleton.replace(newline, _MARK + d)
        if b"\n" in skeleton or b"\r" in skeleton:
            return None  # mixed or lone CR line ends
        records = skeleton.count(_MARK) + 1
        cells = skeleton.split(d)
        last = _JOIN.join(cells[n - 1 :: n])
        if len(cells) != n * records or last.count(_MARK) != records - 1:
            return None  # a record of another length (or a blank line)
        cells[n - 1 :: n] = last.replace(_MARK, b"").split(_JOIN)
        if self._cost is not None and not self._fix_costs(cells):
            return None
        tokens = self._tokens * records
        for index, position, ignored in self._optional:
            column = cells[position::n]
            if b"" in column:
                tokens[index::n] = list(map(ignored.get, column, tokens[index::n]))
        size = 2 * len(cells)
        out = [b""] * (size + 1)
        out[0:size:2] = tokens
        if self._order is None:
            out[1:size:2] = cells
        else:
            for index, position in enumerate(self._order):
                out[2 * index + 1 : size : 2 * n] = cells[position::n]
        # The first token opens the array instead of closing a record before.
        out[0] = self._first[0] if tokens[0] == self._tokens[0] else self._first[1]
        out[size] = self._last
        text = b"".join(out)
        if _KEPT in text:  # give quoted fields their delimiters back
            text = text.replace(_KEPT, d)
        try:
            return _ROWS.decode(text)
        except msgspec.DecodeError:  # a cell msgspec refuses, a control byte, not UTF-8
            return None

    def _skeleton(self, block: bytes) -> bytes | None:
        """Return ``block`` with each quoted field's content as JSON string text, or ``None``.

        Inside quotes, line breaks become JSON escapes and the delimiter a stand-in byte, so
        what is left splits by line breaks into records and by the delimiter into cells.
        """
        d = self._delimiter
        parts = self._quoted.split(block)  # outside, inside, outside, ... (quotes dropped)
        quoted = len(parts) > 1
        if quoted:
            inner = _JOIN.join(parts[1::2])
            for old, new in _INNER_ESCAPES:
                if old in inner:
                    inner = inner.replace(old, new)
            if d in inner:
                inner = inner.replace(d, _KEPT)
            outer = _JOIN.join(parts[0::2])
        else:
            outer = block
        if b'"' in outer:
            return None  # a quote inside a field: the csv module's rules apply
        if b"\\" in outer:
            outer = outer.replace(b"\\", b"\\\\")
        if d != b"\t" and b"\t" in outer:
            outer = outer.replace(b"\t", b"\\t")
        if not quoted:
            return outer
        parts[0::2] = outer.split(_JOIN)
        parts[1::2] = inner.split(_JOIN)
        return b"".join(parts)

    def _fix_costs(self, cells: builtins.list[bytes]) -> bool:
        """Turn decimal commas of the cost column into points; refuse NaN and infinities."""
        assert self._cost is not None
        column = cells[self._cost :: self._n]
        costs = _JOIN.join(column)
        fixed = costs.replace(_KEPT, b".") if self._delimiter == b"," else costs
        fixed = fixed.replace(b",", b".")
        lower = fixed.lower()
        if b"n" in lower or b"i" in lower:
            return False  # NaN or Infinity: the record path gives None (not finite)
        if fixed != costs:
            cells[self._cost :: self._n] = fixed.split(_JOIN)
        return True


def _complete_end(data: bytes, start: int = 0, stop: int | None = None) -> int:
    """Return where the last whole CSV record in ``data[start:stop]`` ends (``start``: none).

    ``start`` must be where a record starts. A record ends at a line break outside quotes:
    after the last line break, unless an odd number of quotes precedes it (doubled quotes keep
    the count even); then at the line break before, and so on.
    """
    end = data.rfind(b"\n", start, stop) + 1
    if end == 0:
        return start
    quotes = data.count(b'"', start, end)
    while quotes % 2:  # only a cut through a quoted field with line breaks gets here
        newline = data.rfind(b"\n", start, end - 1)
        if newline < 0:
            return start
        quotes -= data.count(b'"', newline + 1, end)
        end = newline + 1
    return end


def _first_record(block: bytes) -> tuple[bytes, bytes]:
    """Split ``block`` (whole records) after its first line break outside quotes."""
    pos = quotes = 0
    while (newline := block.find(b"\n", pos)) >= 0:
        quotes += block.count(b'"', pos, newline)
        pos = newline + 1
        if quotes % 2 == 0:
            return block[:pos], block[pos:]
    return block, b""


class _CSVRecords:
    """Split a byte stream into blocks of whole CSV records as it arrives.

    A record ends at a line break outside quotes: a quoted field may hold delimiters, quotes and
    line breaks, and may straddle any number of chunks, while the bytes of a character never
    straddle a line break. A byte-order mark at the start is dropped. :meth:`feed` and
    :meth:`close` parse the blocks with the csv module (bytes that are not UTF-8 become U+FFFD).
    """

    __slots__ = ("_buffer", "_delimiter", "_started")

    def __init__(self, delimiter: str | None = None) -> None:
        self._buffer = b""
        self._started = False
        self._delimiter = delimiter

    @property
    def delimiter(self) -> str | None:
        """The field separator: given, or guessed from the first line once a block is out."""
        return self._delimiter

    def feed(self, data: bytes) -> builtins.list[builtins.list[str]]:
        """Return the records ``data`` completes."""
        return self.records(self.block(data))

    def close(self) -> builtins.list[builtins.list[str]]:
        """Return the records still held (the stream has ended)."""
        return self.records(self.block(b"", final=True))

    def block(self, data: bytes, *, final: bool = False) -> bytes:
        """Return the whole records ``data`` completes (everything held when ``final``)."""
        buffer = self._buffer + data if self._buffer else data
        if not self._started:
            # Spreadsheet-minded exporters put a byte-order mark first; wait for all of it.
            if not final and _BOM.startswith(buffer):
                self._buffer = buffer
                return b""
            self._started = True
            if buffer.startswith(_BOM):
                buffer = buffer[len(_BOM) :]
        end = len(buffer) if final else _complete_end(buffer)
        block, self._buffer = buffer[:end], buffer[end:]
        if len(self._buffer) > _MAX_RECORD:
            raise ResponseDecodeError(
                f"a CSV record longer than {_MAX_RECORD} bytes (an unbalanced quote?)",
                script=_SCRIPT,
                # More than the 200 kept: a password cut in two would escape the scrubbing.
                body_prefix=self._buffer[: reach(200)],
            )
        if block and self._delimiter is None:
            # Gap: the separator is not documented; Russian spreadsheets often use ";".
            first = block.split(b"\n", 1)[0]
            self._delimiter = max((",", ";", "\t"), key=lambda d: first.count(d.encode()))
        return block

    def records(self, block: bytes) -> builtins.list[builtins.list[str]]:
        """Parse whole records with the csv module (blank lines are skipped)."""
        if not block or self._delimiter is None:
            return []
        text = block.decode("utf-8", "replace")
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter)
        return [record for record in reader if record]


class _ExportParser:
    """Bytes in, rows out: the parsing behind :meth:`Download.rows`, chunk by chunk."""

    __slots__ = ("_maker", "_records")

    def __init__(self, delimiter: str | None) -> None:
        self._records = _CSVRecords(delimiter)
        self._maker: _RowMaker | None = None

    def feed(self, data: bytes) -> Iterator[builtins.list[ExportRow]]:
        """Return the rows ``data`` completes, in batches parsed one at a time as taken."""
        return self._batches(self._records.block(data))

    def close(self) -> Iterator[builtins.list[ExportRow]]:
        """Return the rows still held (the file has ended), in batches."""
        return self._batches(self._records.block(b"", final=True))

    def _batches(self, block: bytes) -> Iterator[builtins.list[ExportRow]]:
        while self._maker is None and block:
            # The first record names the columns, or is the first row of a file without a header.
            head, block = _first_record(block)
            records = self._records.records(head)
            if records:
                self._maker, header = _RowMaker.start(records[0])
                yield [self._maker(record) for record in (records[1:] if header else records)]
        maker = self._maker
        start, size = 0, len(block)
        while maker is not None and start < size:
            # Pieces of about _PIECE bytes: the rows of one are gone before the next is made, so
            # they never reach the garbage collector's older generations, and a piece's work
            # stays in the CPU's cache (measured: a quarter faster than 256 KiB at a time).
            stop = size if size - start <= _PIECE else _complete_end(block, start, start + _PIECE)
            if stop == start:
                stop = size  # a record longer than a piece
            yield maker.rows(block[start:stop], self._records)
            start = stop

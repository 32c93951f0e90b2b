"""One exception hierarchy for the whole library.

Third-party errors are wrapped at the boundary with ``raise ... from``; the CLI
turns any :class:`AllianceGraphError` into one clear line and a non-zero exit.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\u200b-\u200f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """``text`` with control and invisible characters written as ``\\xNN``/``\\uNNNN``.

    Used by every message that quotes user input, so a NUL, a carriage return or a
    byte-order mark in a file shows as something a reader can see.

    >>> escape_controls("a\\x00b\\ufeffc\\rd")
    'a\\\\x00b\\\\ufeffc\\\\x0dd'
    """

    def _one(m: re.Match[str]) -> str:
        c = ord(m.group())
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"

    return _CONTROL.sub(_one, text)


class AllianceGraphError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 1


class ConfigError(AllianceGraphError):
    """A bad option, store name or setting."""

    exit_code = 2


class DataLoadError(AllianceGraphError):
    """A data file could not be read or parsed.

    Carries the file and, where the parser gave them, the line and column.
    """

    exit_code = 2

    def __init__(
        self,
        file: str,
        reason: str,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        file = escape_controls(file)
        reason = escape_controls(reason)
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column
        self.field = field
        where = file
        if line is not None:
            where += f", line {line}"
            if column is not None:
                where += f", column {column}"
        if field:
            where += f", field {field!r}"
        super().__init__(f"{where}: {reason}")


class QueryError(AllianceGraphError):
    """A query failed while running."""


class AnswerTooLarge(QueryError):
    """The answer is larger than the answer-size limit (checked in the query's worker)."""


class QuerySyntaxError(QueryError):
    """The query does not parse. Carries the line and column when known."""

    exit_code = 2

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line = line
        self.column = column
        where = ""
        if line is not None:
            where = f"line {line}" + (f", column {column}" if column is not None else "") + ": "
        super().__init__(f"SPARQL syntax error: {where}{message}")


class QueryRefused(QueryError):
    """The query asks for something the safety rules forbid (an update, SERVICE, remote FROM)."""

    exit_code = 2


class QueryTimeout(QueryError):
    """The query ran past its time limit and was stopped."""


class ValidationFailed(AllianceGraphError):
    """Data does not conform to the shapes (used when a caller asks for strict loading)."""

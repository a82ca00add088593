"""The small family of errors a user may see, and the exit codes they map to.

A failing gate is not an error: it is a verdict and exit code 1. Everything here
is caught in one place (the CLI or the Action) and turned into a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    PASSED = 0
    FAILED = 1  # the gate failed, or required items await sign-off
    BAD_INPUT = 2  # bad config, bad template, bad usage
    UNEXPECTED = 3  # a bug in apiq-gate: one line and where to report it
    INTERRUPTED = 130  # Ctrl-C, as shells report it


ISSUES_URL = "https://github.com/apiq/apiq-gate/issues"


class GateError(Exception):
    """Root of the errors apiq-gate reports to its user in plain words."""

    exit_code = ExitCode.BAD_INPUT


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """One located problem in a config file."""

    file: str
    line: int  # 1-based
    column: int  # 1-based
    path: str  # e.g. sections[2].items[3].severity
    message: str  # what is wrong
    hint: str = ""  # how to fix it

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        text = f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


class ConfigError(GateError):
    """The config has one or more problems; all of them are reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(GateError):
    """The command line or the Action's inputs ask for something impossible."""

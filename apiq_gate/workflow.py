"""The GitHub Actions runtime protocol: workflow commands on stdout, and the files the runner
reads back (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY). Formatting is pure; one small writer does I/O
and takes its paths as arguments, so tests use temporary files."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# GitHub's step summary is capped at 1 MiB per step; past it the upload fails.
MAX_SUMMARY_BYTES = 1024 * 1024


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str = "", **properties: str | int | None) -> str:
    """`::name key=value,...::message`, escaped as the runner expects."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items() if v is not None)
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def error(message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> str:
    return command("error", message, file=file, line=line, title=title)


def warning(message: str, *, file: str | None = None, line: int | None = None, title: str | None = None) -> str:
    return command("warning", message, file=file, line=line, title=title)


def add_mask(value: str) -> list[str]:
    """One mask command per line: the runner masks line by line."""
    return [command("add-mask", line) for line in value.splitlines() if line.strip()]


def output_block(name: str, value: str) -> str:
    """A GITHUB_OUTPUT entry; the heredoc form is safe for any value."""
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


@dataclass(frozen=True, kw_only=True, slots=True)
class Runtime:
    """Where this run's outputs and summary go, and where commands are printed.

    A file the runner gave that cannot be written (a read-only mount, a path that is gone) is
    said once, as an `::error::` naming the variable and the path, and the run goes on: the
    verdict still decides the exit code, and the log still holds the report."""

    output_path: Path | None
    summary_path: Path | None
    emit: Callable[[str], None] = print
    unwritable: set[str] = field(default_factory=set, compare=False)  # variables already reported

    def set_outputs(self, outputs: dict[str, str]) -> None:
        if self.output_path is None:
            return
        text = "".join(output_block(name, value) for name, value in outputs.items())
        self._append("GITHUB_OUTPUT", self.output_path, text.encode("utf-8"), "the step's outputs are missing")

    def append_summary(self, markdown: str) -> None:
        if self.summary_path is None:
            return
        data = markdown.encode("utf-8")
        if len(data) > MAX_SUMMARY_BYTES:
            note = "\n\n_The summary was cut to fit GitHub's 1 MiB limit; the full report is the `report` output._\n"
            kept = data[: MAX_SUMMARY_BYTES - len(note.encode()) - 4].decode("utf-8", errors="ignore")
            data = (kept + note).encode("utf-8")
        self._append(
            "GITHUB_STEP_SUMMARY", self.summary_path, data, "the job summary is missing; the report is in this log"
        )

    def _append(self, variable: str, path: Path, data: bytes, consequence: str) -> None:
        try:
            with path.open("ab") as handle:
                handle.write(data)
        except OSError as exc:
            if variable not in self.unwritable:
                self.unwritable.add(variable)
                reason = exc.strerror or type(exc).__name__
                self.emit(
                    error(
                        f"apiq-gate could not write {variable} ({path}): {reason}; {consequence}.",
                        title=f"apiq-gate could not write {variable}",
                    )
                )

    def group(self, title: str) -> None:
        self.emit(command("group", title))

    def end_group(self) -> None:
        self.emit(command("endgroup"))

    def mask(self, value: str) -> None:
        for line in add_mask(value):
            self.emit(line)

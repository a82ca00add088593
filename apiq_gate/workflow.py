"""The GitHub Actions runtime protocol: workflow commands on stdout, and the files the runner
reads back (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY). Formatting is pure; one small writer does I/O
and takes its paths as arguments, so tests use temporary files."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
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
    """Where this run's outputs and summary go, and where commands are printed."""

    output_path: Path | None
    summary_path: Path | None
    emit: Callable[[str], None] = print

    def set_outputs(self, outputs: dict[str, str]) -> None:
        if self.output_path is None:
            return
        with self.output_path.open("a", encoding="utf-8") as handle:
            for name, value in outputs.items():
                handle.write(output_block(name, value))

    def append_summary(self, markdown: str) -> None:
        if self.summary_path is None:
            return
        data = markdown.encode("utf-8")
        if len(data) > MAX_SUMMARY_BYTES:
            note = "\n\n_The summary was cut to fit GitHub's 1 MiB limit; the full report is the `report` output._\n"
            kept = data[: MAX_SUMMARY_BYTES - len(note.encode()) - 4].decode("utf-8", errors="ignore")
            data = (kept + note).encode("utf-8")
        with self.summary_path.open("ab") as handle:
            handle.write(data)

    def group(self, title: str) -> None:
        self.emit(command("group", title))

    def end_group(self) -> None:
        self.emit(command("endgroup"))

    def mask(self, value: str) -> None:
        for line in add_mask(value):
            self.emit(line)

"""Errors a user can cause, and the one place that maps them to exit codes."""

from __future__ import annotations


class TaggerError(Exception):
    """A mistake the user can fix: the message says what was expected, found, and to do next."""

    exit_code = 1


class InputError(TaggerError):
    """An input page or file could not be read as text."""


class DataError(TaggerError):
    """Labelled data is malformed; carries every problem found, each as ``file:line: message``."""

    shown = 20  # a file of unlabelled text would otherwise print one line per paragraph

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = (
            f"{count} problem{'s' if count != 1 else ''} in the labelled data; fix them and retry:"
        )
        lines = [head, *self.problems[: self.shown]]
        if count > self.shown:
            lines.append(f"... and {count - self.shown} more like these")
        super().__init__("\n".join(lines))


class ModelError(TaggerError):
    """A model directory is missing, malformed, tampered with or from an incompatible version."""


class UsageError(TaggerError, ValueError):
    """A library function was called with arguments of the wrong type or value.

    Also a ``ValueError``, as scikit-learn expects of an estimator refusing a parameter.
    """


class OutputError(TaggerError):
    """An output could not be written where the user asked; what was there is unchanged."""

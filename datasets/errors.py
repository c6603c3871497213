"""Errors about input data; their messages name the file (and line) at fault."""

import logging

logger = logging.getLogger(__name__)


class DataError(Exception):
    """Input data that cannot be used as it is."""


class BadSamples:
    """Where bad input goes: raised at once, or, with `skip_bad_samples`, logged, counted and listed.

    Nothing is dropped silently: every skipped sample is a warning here, a count in summary.json and a row of
    the run's `skipped_samples.csv`.
    """

    def __init__(self, skip: bool = False) -> None:
        self.skip = skip
        self.problems: list[str] = []

    def report(self, error: DataError) -> None:
        """Raise `error`, or remember it when bad samples are skipped."""
        if not self.skip:
            raise error
        logger.warning("skipped: %s", error)
        self.problems.append(str(error))

    def __len__(self) -> int:
        return len(self.problems)

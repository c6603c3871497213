"""Errors about input data; their messages name the file (and line) at fault."""

import logging

logger = logging.getLogger(__name__)


class DataError(Exception):
    """Input data that cannot be used as it is."""


class AllSamplesSkipped(DataError):
    """`skip_bad_samples` skipped every sample of a dataset: there is nothing to train on."""

    def __init__(self, dataset: str, listing: str = "skipped_samples.csv") -> None:
        super().__init__(f"every sample of {dataset} was skipped (see {listing})")
        self.dataset = dataset


def error_message(error: Exception) -> str:
    """The message of `error` as it was raised: a data-loader worker's exception comes back in the training process
    with the worker's whole traceback as its message, whose last line holds the original one."""
    message = str(error)
    if not message.startswith(f"Caught {type(error).__name__} in DataLoader worker"):
        return message
    marker = f"{type(error).__module__}.{type(error).__qualname__}: "
    return message.rsplit(marker, 1)[-1].strip() if marker in message else message


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

"""What a run prints on the console: each log line once, on stderr, with its logger's name; no advertisements.

`lightning` gives its loggers console handlers of their own when it is imported (the `lightning` package always,
`lightning.pytorch` and `lightning.fabric` when the root logger has none yet); with the command line's root handler
every Lightning line then printed twice. Its "💡 Tip" lines advertise its cloud services (litlogger, litmodels) on
every run and say nothing about the run.
"""

import logging

import lightning  # pylint: disable=unused-import  # its import adds the handlers removed below

LIGHTNING_LOGGERS = ("lightning", "lightning.pytorch", "lightning.fabric")
ADVERTISING_LOGGER = "lightning.pytorch.utilities.rank_zero"


class _NoAdvertisements(logging.Filter):
    """Drops Lightning's "💡 Tip: try installing ..." lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("💡 Tip")


def route_lightning_logs() -> None:
    """Lightning's log lines through the root logger's handler only (once each), without its advertisements."""
    for name in LIGHTNING_LOGGERS:
        lightning_logger = logging.getLogger(name)
        for handler in list(lightning_logger.handlers):
            lightning_logger.removeHandler(handler)
        lightning_logger.propagate = True
    advertiser = logging.getLogger(ADVERTISING_LOGGER)
    if not any(isinstance(item, _NoAdvertisements) for item in advertiser.filters):
        advertiser.addFilter(_NoAdvertisements())

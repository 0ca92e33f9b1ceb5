"""Structured JSON logs for handlers: one Powertools Logger whose format the package loggers share."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers


def handler_logger() -> Logger:
    """The handler's Logger (service from POWERTOOLS_SERVICE_NAME); ``calledit.*`` logs use its JSON format.

    Keys appended to it (request_id, connection_id) appear on the package's log lines too.
    """
    logger = Logger()
    copy_config_to_registered_loggers(source_logger=logger, include={"calledit"})
    return logger

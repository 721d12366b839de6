"""The UI process's logs as JSON lines, as the services write theirs (spendscore_common.logging): its own,
uvicorn's and Streamlit's."""

import logging

import streamlit.logger

from spendscore_common.logging import configure_logging

SERVICE = "ui"


def _to_root(logger: logging.Logger) -> None:
    """Streamlit gives each of its loggers a plain-text handler of its own and stops propagation: send
    their records to the root's JSON handler instead."""
    handler = getattr(logger, "streamlit_console_handler", None)
    if isinstance(handler, logging.Handler):
        logger.removeHandler(handler)
    logger.propagate = True


def configure_ui_logging(level: str) -> None:
    """Every record of the process as one JSON line on stdout, with the request id where there is one."""
    configure_logging(SERVICE, level)
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and hasattr(logger, "streamlit_console_handler"):
            _to_root(logger)
    # The loggers Streamlit makes later (its modules are imported lazily), and a reload of its config,
    # set their handler up through this function.
    streamlit.logger.setup_formatter = _to_root

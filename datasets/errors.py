"""Errors about input data; their messages name the file (and line) at fault."""


class DataError(Exception):
    """Input data that cannot be used as it is."""

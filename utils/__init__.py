"""Config, training glue, run artifacts and command-line tools."""

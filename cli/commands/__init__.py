"""One module per ``pitstop`` subcommand (see ``pitstop.cli``)."""

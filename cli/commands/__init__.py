"""One module per ``pitstop`` subcommand (see ``cli.main``)."""

"""The composition root: the ``pitstop`` command line, its settings, the demo and the embedded
broker. Each subcommand is a module in ``cli.commands`` that imports only the parts it runs."""

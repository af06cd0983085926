"""Route modules, one per domain; ``api.app`` includes their routers."""

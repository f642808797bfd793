"""Application services: what the bot does, in plain typed values, apart from how a request
arrived. Handlers (bot/handlers/), the web console and the CLI call these and render the
result their own way. Nothing here imports telegram, the handlers, the web framework or SQL
(storage/ owns the SQL; tests/test_layering.py checks)."""

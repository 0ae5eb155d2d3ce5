"""The escalation service: ``escalation-console serve``, headless.

It runs beside the shared PostgreSQL with no console open: sync, the notification
engine and its delivery outbox (sending only while this instance holds the leader
lease), and the HTTP endpoint. No Qt here (import-linter enforces it): the package
imports the store, notify and the app layer's Qt-free modules only.

- ``config``: the configuration file (TOML or YAML) and its environment overrides;
- ``secrets``: server secrets from the environment, files and systemd credentials;
- ``logs``: structured logging to stderr, text or one JSON object a line;
- ``schema``: the shared database's schema revision, checked (or migrated) at start;
- ``main``: the composition, its start and its clean stop.
"""

"""The desktop console at run time (Qt): the service the views talk to through its port,
the database worker, alerts, the notifier's handle, forms, drafts and what the views read."""

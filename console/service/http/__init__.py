"""The service's HTTP endpoint: health, readiness, Prometheus metrics, the intake API
with its bearer tokens and the Zendesk preset (``server``), and the PagerDuty and Slack
webhooks (``hooks``). See docs/service.md, "HTTP"."""

"""Delivery channels (desktop, Slack, Teams, email, PagerDuty), the outbox and retries."""

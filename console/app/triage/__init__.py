"""Triage that learns from the team's own resolved tickets, offline (issue 17,
docs/triage.md): text suggestions, risk, summaries and knowledge-base drafts."""

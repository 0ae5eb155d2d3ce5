"""The demo's fixed material: the severity and scenario mix, the accounts, people,
titles and texts its tickets are written from. Data only; scenarios.py plans the
tickets from it."""

from __future__ import annotations

from datetime import timedelta

DEFAULT_TICKETS = 200

#: Share of tickets per severity (ids the matrix lacks are skipped; others weigh 10).
SEVERITY_MIX = {"P1": 8, "P2": 20, "P3": 40, "P4": 32}
#: What a ticket is doing at ``now``.
SCENARIOS_TWO_STAGE = {"ok": 44, "pre_breach": 14, "breached": 8, "paused": 10,
                       "unconfirmed": 18, "resolved": 6}
SCENARIOS = {"ok": 58, "pre_breach": 14, "breached": 7, "paused": 15, "resolved": 6}
ESCALATION_RATE = {"P1": 0.7, "P2": 0.5, "P3": 0.25, "P4": 0.1}
URGENCY = {"P1": "critical", "P2": "high", "P3": "normal", "P4": "low"}
MAX_AGE = timedelta(days=10)

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

AGENTS = ("ana", "ben", "chloe", "dev", "erik", "fatima", "gus")
ENGINEERS = ("eng-oncall", "maya.eng", "tom.sre", "li.backend")
SPECIALISTS = ("rita.t2", "sam.t2")
#: Resolved tickets of the last 90 days per ticket of the live queue (for the reports).
HISTORY_PER_TICKET = 2
HISTORY_MAX = 2000  # a big demo queue (a stress test) keeps a modest past

ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("Acme Corporation", "enterprise"), ("Globex", "enterprise"), ("Initech", "business"),
    ("Umbrella Health", "enterprise"), ("Stark Logistics", "enterprise"),
    ("Wayne Financial", "enterprise"), ("Hooli", "business"), ("Vandelay Imports", "starter"),
    ("Soylent Foods", "business"), ("Cyberdyne Systems", "enterprise"),
    ("Tyrell Biotech", "business"), ("Wonka Confectionery", "business"),
    ("Pied Piper", "starter"), ("Aperture Labs", "business"), ("Black Mesa Research", "business"),
    ("Massive Dynamic", "enterprise"), ("Oscorp", "business"), ("Gringotts Bank", "enterprise"),
    ("Monarch Airlines", "enterprise"), ("Bluth Company", "starter"),
    ("Dunder Mifflin", "business"), ("Sterling Cooper", "business"),
    ("Prestige Worldwide", "starter"), ("Los Pollos Hermanos", "starter"),
    ("Nakatomi Trading", "enterprise"), ("Oceanic Airlines", "enterprise"),
    ("Wernham Hogg", "starter"), ("Krusty Krab", "starter"), ("Duff Brewing", "business"),
    ("Gekko & Co", "business"), ("Paper Street Soap", "starter"),
    ("Northwind Traders", "business"), ("Contoso Retail", "enterprise"),
    ("Fabrikam Health", "business"), ("Tailspin Toys", "starter"),
    ("Litware Analytics", "business"), ("Adventure Works", "business"),
    ("Zenith Insurance", "enterprise"), ("Helios Energy", "enterprise"),
    ("Quantum Freight", "starter"),
)
CONTACTS = ("Priya", "Marcus", "Elena", "Jonas", "Aiko", "Samuel", "Grace", "Omar",
            "Lucia", "Noah", "Ingrid", "Kwame")

P1_TITLES = (
    "Total outage: the web app returns 503 for every user",
    "Checkout down for all EU customers",
    "API returns 500 for every request in us-east",
    "Suspected data breach: admin API keys exposed in a public repo",
    "SSO outage: nobody can sign in",
    "Data loss after last night's migration",
    "Mobile app crashes on launch for all iOS users",
    "Payments failing with card declined for every card",
)
TITLES: dict[str, tuple[str, ...]] = {
    "bug": (
        "Export to CSV drops rows beyond 10,000",
        "Password reset emails not arriving",
        "Dashboard shows stale data after refresh",
        "Duplicate invoices generated on renewal",
        "SSO login loops back to the sign-in page",
        "Attachments over 20 MB fail to upload",
        "Search returns nothing for accented names",
        "Scheduled reports sent twice",
        "Checkout fails when a coupon is applied",
        "Time zone wrong on exported timesheets",
        "Bulk import stops at the first empty row",
        "Audit log missing entries for API changes",
    ),
    "performance": (
        "Reports page takes 40 seconds to load",
        "API latency spikes above 2 s at peak",
        "Sync jobs queue for hours",
        "Mobile app freezes on large projects",
        "Search slows to a crawl after 9am",
        "Dashboard widgets time out for large teams",
    ),
    "integration": (
        "Salesforce sync stopped updating contacts",
        "Slack notifications delayed by 30 minutes",
        "Webhook deliveries failing with 502",
        "Jira integration creates duplicate issues",
        "SAML metadata rejected after certificate rotation",
        "Zapier trigger no longer fires",
        "HubSpot field mapping lost after upgrade",
    ),
    "billing": (
        "Charged twice for the annual plan",
        "Invoice shows the wrong VAT rate",
        "Cannot update the payment card",
        "Seat count not reduced after downgrade",
        "Credit note missing from the billing portal",
    ),
    "feature_request": (
        "Request: bulk edit for custom fields",
        "Request: dark mode for the agent app",
        "Request: audit log export to S3",
        "Request: per-team SLA reports",
        "Request: SCIM provisioning for groups",
        "Request: keyboard shortcuts in the editor",
    ),
    "ui": (
        "Date picker overlaps the Save button on small screens",
        "Typo in the onboarding checklist",
        "Table headers misaligned in Firefox",
        "Dark text on dark background in the sidebar",
        "Tooltip hides the first menu item",
    ),
    "question": (
        "How do we rotate API keys without downtime?",
        "Clarification on the data retention policy",
        "Which IP ranges should we allow-list?",
        "Can we move our workspace to the EU region?",
        "How are seats counted for guest users?",
    ),
}
P2_CATEGORIES = ("bug", "bug", "performance", "integration", "billing")
P3_CATEGORIES = ("bug", "bug", "performance", "integration", "billing")
P4_CATEGORIES = ("feature_request", "feature_request", "ui", "question")
IMPACT = (
    "It started this morning and keeps happening.",
    "Several teams are blocked until this is fixed.",
    "They first noticed it after the last release.",
    "It happens on every browser they tried.",
    "Their month-end close depends on this.",
    "A workaround exists but costs them hours a day.",
    "Only some users see it, and it comes and goes.",
)
ASKS = (
    "They would like an update by the end of the day.",
    "They asked for a call with an engineer.",
    "Screenshots and a HAR file are attached.",
    "They can share a test account if needed.",
    "Their account manager is in copy.",
)
CUSTOMER_MESSAGES = (
    "Any news? Our team is still blocked.",
    "We tried clearing the cache as suggested; no change.",
    "Attaching the logs you asked for.",
    "This is becoming urgent for us.",
    "Thanks, the workaround helps for now.",
    "Can we get an ETA for the fix?",
    "This is unacceptable, we are considering cancelling.",
)
UPDATE_TEXTS = (
    "Engineering is investigating; next update within the hour.",
    "We reproduced the problem and are working on a fix.",
    "A fix is in review; we will confirm once deployed.",
    "Still investigating; logs point to the sync service.",
    "Mitigation in place; monitoring before closing.",
)
STEPS_TRIED = (
    "Reproduced on a test account",
    "Cleared cache and sessions",
    "Checked status page and recent deploys",
    "Collected HAR file and browser console logs",
    "Re-synced the integration",
    "Verified the customer's configuration",
    "Rolled back the customer's last settings change",
    "Searched known issues and the runbook",
)
NEXT_STEPS = (
    "Check the service logs around the first failure and confirm the root cause.",
    "Review the last deploy and roll back if it is the cause.",
    "Contact the customer's admin to schedule a screen share.",
    "Confirm the fix on staging, then update the customer.",
    "Escalate to the on-call engineer if not resolved within the hour.",
)

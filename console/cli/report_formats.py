"""``escalation-console report``'s text outputs: a table for a terminal (flags marked)
and CSV with one row per metric (columns ``CSV_COLUMNS``, described in
docs/reports.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from console.domain.reports import PagingLoad, Rate, Report, Spread

CSV_COLUMNS = ("metric", "subject", "severity", "statistic", "value", "numerator",
               "denominator", "threshold", "too_few", "flagged", "name")
FLAG, FEW = "<< FLAGGED", "(too few to judge)"
NO_PAGING = ("not in the shared database: pages are in the sending service's own outbox "
             "(run 'report' on its data dir)")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def duration(seconds: float | None) -> str:
    """``45m``, ``2h 05m``, ``3d 04h``; ``-`` for none."""
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02}h"


def _rate_row(name: str, rate: Rate) -> str:
    limit = "" if rate.threshold is None else (
        f"{'>=' if rate.at_least else '<='} {rate.threshold:.0%}")
    mark = FLAG if rate.flagged else FEW if rate.too_few else ""
    return (f"  {name:<28} {_pct(rate.value):>7} {rate.numerator:>6} / {rate.denominator:<6}"
            f" {limit:<8} {mark}").rstrip()


def _section(title: str) -> list[str]:
    return ["", title, "-" * len(title)]


def _rates(title: str, rates: dict[str, Rate]) -> list[str]:
    if not rates:
        return [*_section(title), "  (none)"]
    return [*_section(title), f"  {'':<28} {'rate':>7} {'tickets':^16} {'limit':<8}",
            *(_rate_row(k, r) for k, r in rates.items())]


def _spreads(title: str, spreads: dict[str, Spread]) -> list[str]:
    lines = [*_section(title), f"  {'':<8} {'count':>6} {'mean':>9} {'median':>9} "
                               f"{'p90':>9} {'max':>9}"]
    for key, s in spreads.items():
        lines.append(f"  {key:<8} {s.count:>6} {duration(s.mean):>9} {duration(s.median):>9} "
                     f"{duration(s.p90):>9} {duration(s.max):>9}")
    return lines if spreads else [*lines[:3], "  (none)"]


def table(report: Report, paging: PagingLoad | None, *, window: str, filters: str,
          flags: list[str], teams: Mapping[str, str] | None = None) -> str:
    """The report for a terminal: headline rates, per team, agent and severity, times,
    SLA attainment, the disagreement matrix, root causes, weeks, paging, and the flags;
    teams by their names in ``teams`` (id -> name), people read these."""
    names = teams or {}
    lines = [f"Escalation report {window}", f"Filters: {filters}",
             f"Opened {report.opened}, resolved {report.resolved}, escalated "
             f"{report.escalated} ({report.escalations} escalations)"]
    lines += _rates("Headline", {"escalation rate": report.escalation_rate,
                                 f"{report.first_tier} resolution rate": report.t1_resolution,
                                 "severity disagreement": report.disagreement})
    lines += _rates("Escalation rate per severity", report.escalation_by_severity)
    lines += _rates("Escalation rate per team",
                    {names.get(t, t): r.rate for t, r in report.teams.items()})
    lines += _rates("Escalation rate per agent", report.agents)
    lines += _spreads("Time to first response", report.first_response)
    lines += _spreads("Time to resolve (wall time)", report.resolve_wall)
    lines += _spreads("Time to resolve (without waiting on the customer)",
                      report.resolve_working)
    lines += _section("SLA attainment")
    lines += [f"  {'clock':<18} {'severity':<8} {'met':>5} {'breached':>9} {'attainment':>11}"]
    lines += [f"  {r.clock:<18} {r.severity:<8} {r.met:>5} {r.breached:>9} "
              f"{_pct(r.attainment.value):>11} {FEW if r.attainment.too_few else ''}".rstrip()
              for r in report.sla] or ["  (none decided in the window)"]
    sevs = list(report.disagreement_matrix)
    lines += _section("Severity disagreement: Support (rows) by Engineering (columns)")
    lines += ["  " + " " * 8 + "".join(f"{s:>6}" for s in sevs)]
    lines += [f"  {a:<8}" + "".join(f"{report.disagreement_matrix[a].get(b, 0):>6}"
                                   for b in sevs) for a in sevs]
    lines += _section("Reassignments (resolved tickets)")
    o, h = report.owners, report.handoffs
    lines += [f"  distinct owners: median {o.median if o.count else '-'}, p90 "
              f"{o.p90 if o.count else '-'}, max {o.max if o.count else '-'}",
              f"  handoffs: mean {'-' if h.mean is None else f'{h.mean:.2f}'}, max "
              f"{'-' if h.max is None else h.max:}"]
    lines += _section("Root causes of escalations")
    total = max(report.escalated, 1)
    lines += [f"  {c:<20} {n:>5} {n / total:>7.1%}" for c, n in report.root_causes.items()] \
        or ["  (no escalations)"]
    lines += _rates("Escalation rate per week", {w.start.strftime("week of %Y-%m-%d"):
                                                 w.escalation for w in report.weekly})
    lines += _paging(paging)
    lines += _section(f"Flags ({len(flags)})")
    lines += [f"  ! {f}" for f in flags] or ["  none"]
    return "\n".join(lines) + "\n"


def _paging(paging: PagingLoad | None) -> list[str]:
    lines = _section("Paging load (all teams and severities)")
    if paging is None:  # the shared database holds no delivery outbox
        return [*lines, f"  {NO_PAGING}"]
    lines += [f"  {p:<20} {n:>5} pages {paging.per_week()[p]:>7.1f} a week"
              for p, n in paging.pages.items()] or ["  no pages sent"]
    m = paging.mtta
    lines.append(f"  chain runs {paging.chains}, never acknowledged {paging.unacknowledged}; "
                 f"MTTA median {duration(m.median)}, p90 {duration(m.p90)}")
    return lines


def _rate_cells(rate: Rate) -> dict[str, Any]:
    return {"statistic": "rate", "value": rate.value, "numerator": rate.numerator,
            "denominator": rate.denominator, "threshold": rate.threshold,
            "too_few": rate.too_few, "flagged": rate.flagged}


def _rows(report: Report, teams: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    for name in ("opened", "resolved", "escalated", "escalations"):
        yield {"metric": name, "statistic": "count", "value": getattr(report, name)}
    yield {"metric": "escalation_rate", **_rate_cells(report.escalation_rate)}
    for sev, rate in report.escalation_by_severity.items():
        yield {"metric": "escalation_rate", "severity": sev, **_rate_cells(rate)}
    for team, t in report.teams.items():
        name = teams.get(team, team)
        yield {"metric": "team_escalation_rate", "subject": team, **_rate_cells(t.rate),
               "name": name}
        yield {"metric": "team_escalations", "subject": team, "statistic": "count",
               "value": t.escalations, "name": name}
    for agent, rate in report.agents.items():
        yield {"metric": "agent_escalation_rate", "subject": agent, **_rate_cells(rate)}
    yield {"metric": "t1_resolution", "subject": report.first_tier,
           **_rate_cells(report.t1_resolution)}
    for metric, spreads in (("time_to_first_response", report.first_response),
                            ("time_to_resolve_wall", report.resolve_wall),
                            ("time_to_resolve_excluding_waiting", report.resolve_working)):
        for key, s in spreads.items():
            yield from _spread_rows(metric, "" if key == "all" else key, s)
    for row in report.sla:
        yield {"metric": "sla_attainment", "subject": row.clock, "severity": row.severity,
               **_rate_cells(row.attainment)}
    yield {"metric": "severity_disagreement", **_rate_cells(report.disagreement)}
    for support, by_engineering in report.disagreement_matrix.items():
        for engineering, n in by_engineering.items():
            yield {"metric": "severity_disagreement_matrix", "subject": support,
                   "severity": engineering, "statistic": "count", "value": n}
    yield from _spread_rows("reassignment_owners", "", report.owners)
    yield from _spread_rows("reassignment_handoffs", "", report.handoffs)
    for cause, n in report.root_causes.items():
        yield {"metric": "root_cause", "subject": cause, "statistic": "share",
               "value": n / max(report.escalated, 1), "numerator": n,
               "denominator": report.escalated}
    for w in report.weekly:
        yield {"metric": "weekly_escalation_rate", "subject": w.start.isoformat(),
               **_rate_cells(w.escalation)}
        yield {"metric": "weekly_t1_resolution", "subject": w.start.isoformat(),
               **_rate_cells(w.t1_resolution)}


def _spread_rows(metric: str, severity: str, s: Spread) -> Iterator[dict[str, Any]]:
    """Seconds for the times, counts for the reassignments."""
    for stat in ("count", "mean", "median", "p90", "max"):
        yield {"metric": metric, "severity": severity, "statistic": stat,
               "value": getattr(s, stat)}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _paging_rows(paging: PagingLoad | None) -> Iterator[dict[str, Any]]:
    if paging is None:
        return
    for person, n in paging.pages.items():
        yield {"metric": "paging_pages", "subject": person, "statistic": "count", "value": n}
        yield {"metric": "paging_pages_per_week", "subject": person, "statistic": "rate",
               "value": paging.per_week()[person]}
    yield {"metric": "paging_chains", "statistic": "count", "value": paging.chains}
    yield {"metric": "paging_unacknowledged", "statistic": "count",
           "value": paging.unacknowledged}
    yield from _spread_rows("paging_mtta", "", paging.mtta)


def csv_text(report: Report, paging: PagingLoad | None,
             teams: Mapping[str, str] | None = None) -> str:
    """One row per metric (and per subject, severity and statistic), ``CSV_COLUMNS``;
    an empty cell is a value over nothing or a column that does not apply. A team's
    rows keep its id as ``subject`` and its name (``teams``: id -> name) as ``name``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in (*_rows(report, teams or {}), *_paging_rows(paging)):
        writer.writerow([_cell(row.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()

"""Self-contained HTML reports of results directories (run, compare, sweep): tables with confidence
intervals, interval profiles by weekday, staffing against workload, comparisons, warnings, the KPI
definitions and the resolved scenarios. One file, charts embedded, no network requests."""

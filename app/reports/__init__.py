"""Reports for boards and training centers: compliance counts and trend, the due list, CE demand by topic,
provider activity (product capability 7; docs/reports.md)."""

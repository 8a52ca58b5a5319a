"""The team lead's service-level dashboard, its drill-downs and CSV exports."""

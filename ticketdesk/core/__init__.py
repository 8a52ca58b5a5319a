"""Domain-free helpers shared by the blueprints and services (the desk's clock and days,
CSV exports, input parsing)."""

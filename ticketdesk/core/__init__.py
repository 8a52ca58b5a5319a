"""Domain-free helpers shared by the blueprints and services."""

"""Domain-free helpers shared by every layer (the desk's clock and days)."""

"""Recovery rules (team leads) and the account manager's loyalty follow-up."""

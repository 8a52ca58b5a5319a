"""Business rules and use cases. Each public function is one user action."""

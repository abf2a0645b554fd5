"""Views: pure functions of recorded exchanges (raw HTTP, JWT, PKCE, diagrams)."""

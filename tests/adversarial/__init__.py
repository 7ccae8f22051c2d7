"""Hostile agents and the attacks they stage against the gate (a reusable adversarial suite)."""

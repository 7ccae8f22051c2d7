"""Real agent processes used by the adapter, replay and benchmark tests."""

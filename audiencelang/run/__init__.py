"""Running compiled audiences on databases, and the demo data generator."""

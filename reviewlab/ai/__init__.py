"""The AI orchestrator: local-first providers behind one interface, with fallback, circuit breakers, cost
tracking, a response cache and structured review tasks (see ``base`` for the vocabulary)."""

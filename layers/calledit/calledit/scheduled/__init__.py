"""Work without a connection: the periodic sweep and the queue-driven verifier."""

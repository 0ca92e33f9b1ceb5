"""WebSocket side: typed events, the action routes, the coalescing sender and the stream worker."""

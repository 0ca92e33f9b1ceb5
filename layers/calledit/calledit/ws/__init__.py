"""WebSocket side: route logic, job records, the coalescing sender and the stream worker."""

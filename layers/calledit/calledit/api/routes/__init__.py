"""REST routes, one Powertools ``Router`` per concern, included by ``api.app``."""

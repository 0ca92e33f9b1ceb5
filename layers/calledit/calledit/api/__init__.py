"""The predictions REST API: a Powertools resolver with one router per concern."""

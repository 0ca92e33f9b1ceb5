"""The predictions REST API (Powertools resolver): Log Call, list, detail, outcome, due list."""

"""Hand-written quality-evaluation data: predictions with gold verification dates and categories."""

"""DynamoDB stores: saved predictions, jobs (with admission slots), connections."""

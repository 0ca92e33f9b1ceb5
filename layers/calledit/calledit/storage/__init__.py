"""DynamoDB repositories for saved predictions."""

"""The local stack: template.yaml's APIs emulated on loopback, DynamoDB Local, a local token issuer."""

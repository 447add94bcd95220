"""The photo store: the ``PhotoStore`` interface, its Azure implementation, key encoding and failure classification."""

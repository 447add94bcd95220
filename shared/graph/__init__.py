"""Microsoft Graph on the wire: errors, responses and request ids, URLs, OData query options, bodies."""

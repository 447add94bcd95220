"""Development tools: the dev host, the dev token issuer, Azurite. Not deployed (.funcignore)."""

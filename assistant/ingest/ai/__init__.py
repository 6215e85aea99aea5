"""AI provider usage and cost (OpenAI, Anthropic) imported into the ledger."""

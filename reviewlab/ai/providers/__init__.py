"""One module per provider: Ollama, HuggingFace transformers, OpenAI, Anthropic."""

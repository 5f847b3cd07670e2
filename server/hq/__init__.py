"""Head office for a chain of halls: each hall's journal stored in PostgreSQL and replayed live."""

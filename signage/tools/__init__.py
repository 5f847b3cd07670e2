"""Developer tools for the lobby screen's bundled content (not used at runtime)."""

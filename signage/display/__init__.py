"""The pygame side of the lobby screen: the only package that imports pygame."""

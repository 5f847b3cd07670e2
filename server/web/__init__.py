"""The aiohttp shell around the pure hall: routes, hub, journal, fan-out."""

"""The REST API (v2): zones and records as JSON, compatible with the Mythic Beasts DNS API v2 shapes."""

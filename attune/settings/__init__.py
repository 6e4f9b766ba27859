"""Settings are split by environment: base (shared), local (embedded default),
production (refuses unsafe defaults) and test."""

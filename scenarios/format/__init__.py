"""Reading scenario files: YAML with file and line kept, `extends` and `--set`, the key-by-key reader,
the builders that turn sections into the engine's config, and calibrated profiles."""

"""The composition root: bootstrap, runner, settings and the `chipin` CLI (imports every layer)."""

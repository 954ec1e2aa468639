"""One repository per aggregate over SQL, each the mirror of its port in core.ports.repos."""

"""regwatch: export-control regulation monitor."""

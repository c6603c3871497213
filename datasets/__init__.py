"""Sources, sampling, transforms, collate and the Lightning data module."""

"""FOCUS billing exports: files and layouts, reading, checks, the one writer transaction."""

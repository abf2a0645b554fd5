"""The tool pages' logic: JWT forge, request builder, grant guide, glossary."""

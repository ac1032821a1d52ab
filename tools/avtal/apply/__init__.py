"""Word edits back into the YAML sources: `avtal apply FILE.docx` and `avtal remiss apply`."""

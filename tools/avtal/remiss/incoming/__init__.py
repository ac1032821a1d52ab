"""What comes back: hostile files opened within bounds, drafts, letters and forms read, answers imported."""

"""The round's record in sources/remiss/: the answers, the positions, who has answered, the lock."""

"""What leaves VisTune: mastered audio (``audio``), all-or-nothing file writes (``files``) and
videos (``video``)."""

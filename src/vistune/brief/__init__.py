"""The brief: from what the picture shows to what the music does.

``music_brief`` holds :class:`MusicBrief` and :func:`make_brief`; ``prompt`` reads and writes
text prompts; ``styles`` holds the styles, one module and one :class:`~vistune.brief.styles.Style`
each.
"""

from .music_brief import TEMPO_RANGE, MusicBrief, check_prompt, make_brief, write_prompt

__all__ = ["TEMPO_RANGE", "MusicBrief", "check_prompt", "make_brief", "write_prompt"]

"""Seeing: the picture in (``image``), what it shows out (``Description``).

``image`` is the only decoder of user pictures; ``features`` and ``scenery`` measure light,
colour, contrast, texture and scene cues with numpy alone; ``labels`` is the offline ImageNet
captioner and ``blip`` the neural one (Salesforce BLIP).
"""

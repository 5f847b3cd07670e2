"""Spoken calls: a bank of short clips, the calls assembled from them, and the order they are spoken in.

``prompts`` names every clip a bank must hold, ``assemble`` turns a call into clips and gaps,
``speech`` is the queue that decides which call is spoken when (all three pure);
``bank`` reads, checks and renders WAV clips with the standard library.
"""

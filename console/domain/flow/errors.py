"""Typed errors for flowchart edits: the model checks the graph rules, not the view."""

from __future__ import annotations


class FlowEditError(ValueError):
    """An edit that cannot be applied to the matrix records; the message is for people."""


class UnknownNode(FlowEditError):
    """The node (or the record behind it) does not exist."""


class DuplicateId(FlowEditError):
    """An added or renamed record would reuse an id that is already taken."""


class InvalidId(FlowEditError):
    """An id with characters the matrix format does not allow."""


class InvalidConnection(FlowEditError):
    """Two nodes that no matrix reference can connect, or an edge that cannot be removed."""

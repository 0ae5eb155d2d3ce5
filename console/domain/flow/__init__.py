"""The matrix as an editable flowchart, in pure Python.

- ``graph``: nodes and edges built from the plain matrix records;
- ``edits`` and ``refs``: edit operations (set a value, add, remove, rename with
  reference updates, connect and disconnect), each returning new records;
- ``layout`` and ``geometry``: a deterministic layered layout, edge curves and labels;
- ``validate``: the checks of ``matrix validate``, placed on nodes and edges;
- ``diff``: what changed between two matrices, in words;
- ``yamltext``: records to YAML text and back.
"""

from .diff import diff_records
from .edits import (
    add_authority,
    add_chain,
    add_contact,
    add_severity,
    add_step,
    add_team,
    add_tier,
    add_trigger,
    move,
    remove_node,
    set_field,
    set_layout,
    set_path,
    set_target,
)
from .errors import DuplicateId, FlowEditError, InvalidConnection, InvalidId, UnknownNode
from .graph import Edge, FlowGraph, Node, build_graph
from .layout import Layout, layout_graph
from .records import UP, Records, node_id, split_node_id, step_key
from .refs import connect, disconnect, rename, rename_calendar
from .validate import FlowProblem, check_records, checked_records, validate_records
from .yamltext import dump_records, load_records

__all__ = [
    "UP", "DuplicateId", "Edge", "FlowEditError", "FlowGraph", "FlowProblem",
    "InvalidConnection", "InvalidId", "Layout", "Node", "Records", "UnknownNode",
    "add_authority", "add_chain", "add_contact", "add_severity", "add_step", "add_team",
    "add_tier", "add_trigger", "build_graph", "check_records", "checked_records", "connect",
    "diff_records", "disconnect", "dump_records", "layout_graph", "load_records", "move",
    "node_id", "remove_node", "rename", "rename_calendar", "set_field", "set_layout",
    "set_path", "set_target", "split_node_id", "step_key", "validate_records",
]

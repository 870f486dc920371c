"""Taint analysis: where untrusted data flows. ``python`` holds the Python dataflow, ``spec`` its model,
``steps`` turns a taint's path into the flow steps reports show."""

from reviewlab.engine.taint.core import Taint
from reviewlab.engine.taint.python import FunctionFlow, Summary, enclosing_flow, flow_for, module_flows
from reviewlab.engine.taint.steps import flow_steps

__all__ = ["FunctionFlow", "Summary", "Taint", "enclosing_flow", "flow_for", "flow_steps", "module_flows"]

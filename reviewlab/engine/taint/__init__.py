"""Taint analysis: where untrusted data flows. ``python`` holds the Python dataflow, ``spec`` its model."""

from reviewlab.engine.taint.python import FunctionFlow, Summary, Taint, enclosing_flow, flow_for, module_flows

__all__ = ["FunctionFlow", "Summary", "Taint", "enclosing_flow", "flow_for", "module_flows"]

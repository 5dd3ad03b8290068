"""Debugging: a programmatic target (breakpoints, watchpoints, stepping, state) shared by
the gdb-like shell and the GDB remote-protocol server."""

"""Reliability suite (issue 9): faults, hostile input and recovery across the platform."""

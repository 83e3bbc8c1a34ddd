"""The command kit every feature uses: the caller's context, the command table with declared
arguments, the permission rules, object lookup by number, input limits, dates and labels.

Features live beside the kit (handlers/<feature>/) and never in it."""

"""Service levels: response and resolution clocks on business hours.

``clocks`` starts, pauses and checks a ticket's clocks; ``business_time`` does calendar
arithmetic; ``admin`` edits policies and calendars; ``dashboard`` reports on them.
"""

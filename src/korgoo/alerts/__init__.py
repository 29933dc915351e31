"""Alert workflow after ISA-18.2: state machine, priorities, SLA and escalation."""

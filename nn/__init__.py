"""chainrule nn."""

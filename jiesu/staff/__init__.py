"""Staff accounts, sessions, login limits and who may do what in the console."""

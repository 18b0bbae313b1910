"""The desk PC's package: the PC/SC reader and the desk agent. Needs nothing of `clearance`."""

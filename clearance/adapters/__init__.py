"""Adapters to the outside: the advisor form PDF, the lookup rate limiter, sign-in sessions."""

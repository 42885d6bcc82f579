"""The one error type that reaches the user: a problem with their input.

The CLI prints its message as a single line on stderr and exits with code 2.
"""


class DeriveError(Exception):
    """Bad input (formula, file, class, option): the message names what and where."""


class DerivationMismatch(DeriveError):
    """A derived gradient disagreed with an independent check; it is never used."""

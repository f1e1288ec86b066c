"""The one exception type a user sees as a single line instead of a traceback."""


class UserError(ValueError):
    """Bad input from the user: a config value, a missing dataset, a bad path.

    The message is one line that names what was wrong and what is allowed (or where to get
    the missing thing). ``python -m parametricSN`` prints it and exits with status 2.
    """

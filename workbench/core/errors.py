"""The one exception type whose message is shown to users as it is."""


class WorkbenchError(Exception):
    """A problem the user can fix, described in one sentence naming the file, column or setting."""

"""User-facing errors: one line, no stack trace."""


class MinerError(Exception):
    """A problem the user can fix (bad input, bad config, missing artifact).

    The CLI prints ``error: <message>`` and exits with status 1; the message must name the
    file, row or key at fault.
    """


class ConfigError(MinerError):
    """A configuration file or flag is invalid (unknown key, wrong type)."""


class InputError(MinerError):
    """An input file or row cannot be read or understood."""


class MissingArtifactError(MinerError):
    """A stage needs an artifact that an earlier stage has not written yet."""

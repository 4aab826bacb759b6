"""Template workbooks built with openpyxl; ``read_scenarios`` reads a built one's table back."""

__all__ = ["read_scenarios"]


def __getattr__(name: str):
    # Lazy: importing the package (for the CLI's subcommands) does not load openpyxl.
    if name == "read_scenarios":
        from .reader import read_scenarios

        return read_scenarios
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Command-line options that more than one subcommand takes."""

from __future__ import annotations

import argparse

from xlplugin.formulas import units
from xlplugin.formulas.vocabulary import ascii_lower

__all__ = ["Once", "choice", "culture_option", "shown"]


def shown(text: str, most: int = 60) -> str:
    """A value as an error message repeats it: quoted and escaped (one line), and cut where
    long (a 100 KB argument is not echoed back whole)."""
    text = repr(text)
    return text if len(text) <= most else text[: most - 3] + "..."


def choice(text: str) -> str:
    """A choice flag's value in any case, as Excel reads names (``--format JSON``); ASCII
    letters only, so that no look-alike letter becomes one of the choices."""
    return ascii_lower(text)


class Once(argparse.Action):
    """A flag given once: ``--dau 5 --dau 6`` is refused, not read as its last value (a
    repeated flag is often a pasted command line plus an edit). The same value twice is
    harmless; a default is not a value given."""

    def __call__(self, parser, namespace, value, option_string=None):
        given = namespace.__dict__.setdefault("_given_once", {})
        if self.dest in given and given[self.dest] != value:
            before = given[self.dest]
            parser.error(
                f"argument {option_string}: given twice ({shown(before)} and {shown(value)}); "
                "give it once"
            )
        given[self.dest] = value
        setattr(namespace, self.dest, value)


def culture_option(parser: argparse.ArgumentParser) -> None:
    """``--culture``: the culture text numbers were written in, for what may read two ways."""
    parser.add_argument(
        "--culture",
        metavar="NAME",
        action=Once,
        type=_culture,
        help="the culture, as Excel names it, that text numbers were written in; they are "
        "read with a decimal point and thousands commas, and in de-DE, fr-FR and other "
        "decimal-comma cultures '1,500' and '1.500' are refused as read two ways (a "
        "decimal comma, '0,25', is refused everywhere with the number to write: 0.25)",
    )


def _culture(text: str) -> str:
    # "xx" or a typo ("ed-DE") would otherwise be read as a decimal-comma culture, silently
    if not units.is_known_culture(text):
        raise argparse.ArgumentTypeError(
            f"got {shown(text)}; accepts a culture name such as de-DE or en-US"
        )
    return text.strip()

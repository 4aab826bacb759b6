"""Command-line options that more than one subcommand takes."""

from __future__ import annotations

import argparse

from xlplugin.formulas import units

__all__ = ["culture_option"]


def culture_option(parser: argparse.ArgumentParser) -> None:
    """``--culture``: text numbers read as a user in that culture writes them."""
    parser.add_argument(
        "--culture",
        metavar="NAME",
        type=_culture,
        help="read text numbers as they are written in this culture, as Excel names it: "
        "in de-DE, fr-FR and other decimal-comma cultures, '1,500' and '1.500' are refused "
        "as read two ways (default: a decimal point and thousands commas)",
    )


def _culture(text: str) -> str:
    if not units.is_culture_name(text):
        raise argparse.ArgumentTypeError(
            f"got {text!r}; accepts a culture name such as de-DE or en-US"
        )
    return text.strip()

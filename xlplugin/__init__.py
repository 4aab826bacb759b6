"""Excel-facing side of the estimator: xlwings functions, template workbooks and the CLI.

Every number comes from :mod:`formulas`; this package only adapts it to Excel.
"""

__version__ = "0.1.0"

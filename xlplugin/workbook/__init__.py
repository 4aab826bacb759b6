"""Template workbooks built with openpyxl."""

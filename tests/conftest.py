import os
import sys
from pathlib import Path

# The bad-input matrix and other shared tables live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

# xlwings' decorators record Office.js metadata only when this is set before xlwings is
# imported (as xlwings Server does); conftest runs before any test module imports it.
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # tests: noncommercial use

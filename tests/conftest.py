import sys
from pathlib import Path

# The bad-input matrix and other shared tables live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))

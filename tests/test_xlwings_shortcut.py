"""The shortcut in xlwings' Pyodide look-up: installed only over the code it was measured on."""

import pytest
from xlwings.pro import udfs_officejs

from xlplugin import _xlwings_shortcut


@pytest.mark.parametrize("name", sorted(_xlwings_shortcut.TESTED))
def test_xlwings_still_has_the_code_the_shortcut_replaces(name):
    # Fails when xlwings changes the function: measure and look at the shortcut again.
    function = _xlwings_shortcut.originals()[name]
    assert _xlwings_shortcut.source_digest(function) == _xlwings_shortcut.TESTED[name], (
        f"xlwings changed {name}; the shortcut in xlplugin/_xlwings_shortcut.py is off"
    )


def test_the_shortcut_is_installed_on_the_server_path():
    assert _xlwings_shortcut.apply()
    marker = object()
    assert udfs_officejs.js_to_none(marker) is marker

"""Run-time hook of the frozen app, in place of PyInstaller's own for PySide6.

PyInstaller's hook imports PySide6.QtCore before the app starts, to register an embedded
qt.conf: every command of the frozen CLI would then load Qt (the CLI never does from the
venv). This hook sets the same search paths at once and registers the qt.conf, with
PyInstaller's own helper, right after the app's first import of PySide6.QtCore.
"""

import importlib.util
import os
import sys


def _crateq_qt_hook():
    bundle = sys._MEIPASS
    if sys.platform.startswith("win"):
        qt_dir = os.path.join(bundle, "PySide6")
        os.environ["PATH"] = bundle + os.pathsep + os.environ.get("PATH", "")
    else:
        qt_dir = os.path.join(bundle, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_dir, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_dir, "qml")
    from _pyi_rth_utils import is_macos_app_bundle  # PyInstaller's, as its own hook uses

    if sys.platform == "darwin" and not is_macos_app_bundle:
        old = os.environ.get("DYLD_LIBRARY_PATH")
        os.environ["DYLD_LIBRARY_PATH"] = bundle + (os.pathsep + old if old else "")

    class _AfterQtCore:
        """Finds PySide6.QtCore as usual; its loader registers qt.conf after loading it."""

        def find_spec(self, name, path=None, target=None):
            if name != "PySide6.QtCore":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            inner = spec.loader

            class Loader:
                def create_module(self, spec):
                    return inner.create_module(spec)

                def exec_module(self, module):
                    inner.exec_module(module)
                    from _pyi_rth_utils import qt

                    qt.create_embedded_qt_conf("PySide6", qt_dir)

            spec.loader = Loader()
            return spec

    sys.meta_path.insert(0, _AfterQtCore())


_crateq_qt_hook()
del _crateq_qt_hook

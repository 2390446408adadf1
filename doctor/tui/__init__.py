"""The interactive TUI (Textual): the only part of the package that imports Textual or rich. app.py is the main
screen, screens.py the dialogs, render.py how things are drawn, tui.tcss the styles."""
from .app import ChecksTree, DoctorApp, run_tui
from .screens import ConfirmFix, HelpScreen, RunFix

__all__ = ["ChecksTree", "ConfirmFix", "DoctorApp", "HelpScreen", "RunFix", "run_tui"]

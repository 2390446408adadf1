"""The doctor's own OS services (osapi): the POSIX implementation on this machine, and the Windows one against
stand-ins of exactly the Windows interfaces it calls (winreg, shell32's IsUserAnAdmin, CREATE_NEW_PROCESS_GROUP,
CTRL_BREAK_EVENT, taskkill). What only a real Windows machine can confirm is in docs/windows.md."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import types

import pytest

from nerdctl_doctor.osapi import posix, windows


class FakeKey:
    def __init__(self, store, path):
        self.store, self.path = store, path

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


def fake_winreg(store: dict) -> types.ModuleType:
    """winreg as the doctor uses it: OpenKey, QueryValueEx, SetValueEx, the hives and access flags."""
    m = types.ModuleType("winreg")
    m.HKEY_CURRENT_USER, m.HKEY_LOCAL_MACHINE = "HKCU", "HKLM"
    m.KEY_READ, m.KEY_SET_VALUE = 1, 2
    m.calls = []

    def OpenKey(root, sub, reserved, access):
        m.calls.append(("OpenKey", root, sub, access))
        if (root, sub) not in store:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        return FakeKey(store, (root, sub))

    def QueryValueEx(key, name):
        values = store[key.path]
        if name not in values:
            raise FileNotFoundError(2, "The system cannot find the file specified")
        data, kind = values[name]
        return data, kind

    def SetValueEx(key, name, reserved, kind, data):
        m.calls.append(("SetValueEx", key.path, name, kind, data))
        store[key.path][name] = (data, kind)

    m.OpenKey, m.QueryValueEx, m.SetValueEx = OpenKey, QueryValueEx, SetValueEx
    return m


def test_windows_registry_read_and_write_keep_the_type(monkeypatch):
    store = {("HKCU", "Environment"): {"Path": ("%USERPROFILE%\\bin;C:\\x", 2)}}
    reg = fake_winreg(store)
    monkeypatch.setitem(sys.modules, "winreg", reg)
    assert windows.read_registry("HKCU\\Environment", "Path") == ("REG_EXPAND_SZ", "%USERPROFILE%\\bin;C:\\x")
    assert windows.read_registry("HKCU\\Environment", "Nope") is None
    assert windows.read_registry("HKLM\\SOFTWARE\\Policies\\Rancher Desktop", "x") is None
    windows.write_registry("HKCU\\Environment", "Path", "REG_EXPAND_SZ", "%USERPROFILE%\\bin;C:\\x;C:\\rd")
    assert ("SetValueEx", ("HKCU", "Environment"), "Path", 2, "%USERPROFILE%\\bin;C:\\x;C:\\rd") in reg.calls
    assert ("OpenKey", "HKCU", "Environment", 3) in reg.calls  # read + set access for the write


def test_windows_elevation_asks_shell32(monkeypatch):
    import ctypes

    assert windows.elevated() is False  # no windll here: not elevated, no crash
    monkeypatch.setattr(ctypes, "windll", types.SimpleNamespace(
        shell32=types.SimpleNamespace(IsUserAnAdmin=lambda: 1)), raising=False)
    assert windows.elevated() is True
    assert windows.effective_uid() is None


def test_windows_children_get_a_new_process_group_and_are_ended_by_ctrl_break_then_taskkill(monkeypatch):
    assert windows.new_group_kwargs() == {"creationflags": 0x200}
    killed, ran = [], []
    monkeypatch.setattr(os, "kill", lambda pid, sig: killed.append((pid, sig)))
    monkeypatch.setattr(subprocess, "run", lambda argv, **kw: ran.append(argv))

    class Proc:
        pid = 4242

        def __init__(self):
            self.killed = False

        def kill(self):
            self.killed = True

    p = Proc()
    windows.end_process(p, force=False)
    assert killed == [(4242, 1)] and not ran and not p.killed  # CTRL_BREAK_EVENT to the child's group
    windows.end_process(p, force=True)
    assert ran == [["taskkill", "/T", "/F", "/PID", "4242"]] and p.killed  # its tree, then TerminateProcess


def test_windows_signals_and_data_home(monkeypatch):
    monkeypatch.setattr(signal, "SIGBREAK", 21, raising=False)
    assert windows.terminating_signals() == [21, signal.SIGTERM]
    assert windows.data_home({"LocalAppData": "C:\\Users\\a\\AppData\\Local"}) == "C:\\Users\\a\\AppData\\Local"
    assert windows.data_home({}) is None


def test_exclusive_creation_never_follows_a_link_on_either_implementation(tmp_path):
    for impl in (posix, windows):
        target = tmp_path / f"{impl.NAME}.bak"
        fd = impl.open_exclusive(str(target))
        os.close(fd)
        with pytest.raises(FileExistsError):
            impl.open_exclusive(str(target))
        link = tmp_path / f"{impl.NAME}.link"
        os.symlink(tmp_path / "elsewhere", link)
        with pytest.raises(FileExistsError):
            impl.open_exclusive(str(link))
        assert not (tmp_path / "elsewhere").exists()


def test_posix_implementation_here():
    assert posix.effective_uid() == os.geteuid()
    assert posix.new_group_kwargs() == {"start_new_session": True}
    assert signal.SIGHUP in posix.terminating_signals()
    assert posix.read_registry("HKCU\\Environment", "Path") is None


def test_the_tilt_extension_lives_under_localappdata_on_windows(monkeypatch):
    """tilt-extension on Windows: this installation's extension under %LOCALAPPDATA%, its Tiltfile running this
    interpreter as its environment names it (a venv's Scripts\\python.exe there)."""
    import nerdctl_doctor.osapi as osapi
    from nerdctl_doctor.commands import tilt_extension

    monkeypatch.setattr(osapi, "data_home", windows.data_home)
    d = tilt_extension.extension_dir({"LOCALAPPDATA": "C:\\Users\\a\\AppData\\Local", "HOME": "/ignored"})
    assert d.startswith("C:\\Users\\a\\AppData\\Local") and "nerdctl-doctor" in d and "/ignored" not in d
    monkeypatch.setattr(sys, "executable", "C:\\Users\\a\\venv\\Scripts\\python.exe")
    monkeypatch.setattr(os.path, "abspath", lambda p: p)  # ntpath would leave it as it is on Windows
    assert tilt_extension.interpreter() == "C:\\Users\\a\\venv\\Scripts\\python.exe"

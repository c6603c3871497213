"""Loaded by every Python process started with this folder on PYTHONPATH (tests/test_network_guard.py): any attempt
to reach another machine fails and is written to the file named by $NETWORK_GUARD_LOG, one line per attempt.

Both the name lookup (`socket.getaddrinfo`) and `socket.connect` are guarded: without internet a telemetry client
dies at the lookup, so a guard on `connect` alone would see nothing. Loopback (the machine itself) is allowed.
"""

import ipaddress
import os
import socket
import traceback

LOOPBACK_NAMES = {None, "", "localhost", "localhost.localdomain", "ip6-localhost"}
_original_getaddrinfo = socket.getaddrinfo
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _is_loopback(host: object) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> OSError:
    """Write the attempt (with where it came from) to the log, and the error to raise."""
    caller = "".join(traceback.format_stack(limit=8)[:-2]).replace("\n", " | ")
    with open(os.environ["NETWORK_GUARD_LOG"], "a", encoding="utf-8") as log:
        log.write(f"pid {os.getpid()}: {what}  from: {caller}\n")
    return OSError(f"network guard: {what} refused (nothing may leave the machine)")


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_loopback(host):
        raise _refuse(f"getaddrinfo({host!r})")
    return _original_getaddrinfo(host, *args, **kwargs)


def _address_host(address: object) -> object:
    """The host of an AF_INET/AF_INET6 address tuple; None (allowed) for a Unix socket's path."""
    return address[0] if isinstance(address, tuple) else None


def _guarded_connect(self, address):
    if not _is_loopback(_address_host(address)):
        raise _refuse(f"connect({address!r})")
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):
    if not _is_loopback(_address_host(address)):
        raise _refuse(f"connect_ex({address!r})")
    return _original_connect_ex(self, address)


if os.environ.get("NETWORK_GUARD_LOG"):
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex

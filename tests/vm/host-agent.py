#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Host side of a VM-tier boot: carries out the guest's requests to QEMU.

    tests/vm/host-agent.py --qmp SOCKET --serial FILE --pid PID [--log FILE]

run-vm.sh starts it next to QEMU. It follows FILE (the guest's KTAP serial
port, ttyS1) and, for every line that contains

    RBNN-VM-HOST: COMMAND ARGS...

(a KTAP diagnostic such as "# RBNN-VM-HOST: device_del card1" is fine),
sends COMMAND to QEMU through its QMP socket:

    device_del ID        QMP device_del: the guest sees a PCIe native
                         hot-unplug request (attention button) for the
                         device with that id, e.g. one behind a
                         pcie-root-port
    device_add SPEC      HMP device_add SPEC (the -device syntax, e.g.
                         rbnn,bus=rp1,id=card1,error-model=off): a hot-plug;
                         after a device_del of the same id, sent once QEMU
                         has deleted that device (DEVICE_DELETED)

Other commands are refused. The guest learns the outcome from its own
devices (it polls sysfs with a timeout); the agent logs each request, QEMU's
reply and QEMU's events (DEVICE_DELETED...) to --log (default stderr),
with seconds since the agent started. It exits when PID (QEMU, or the
script that runs it) is gone.
"""

import argparse
import json
import os
import select
import socket
import sys
import time

MARK = "RBNN-VM-HOST:"
T0 = time.monotonic()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Agent:
    def __init__(self, args):
        self.args = args
        self.log_f = open(args.log, "a", buffering=1) if args.log else sys.stderr
        self.sock = None
        self.rbuf = b""
        self.serial = None
        self.sbuf = b""
        self.deleting = set()  # ids of device_del requests not yet done

    def log(self, msg):
        self.log_f.write("[%7.3f] %s\n" % (time.monotonic() - T0, msg))

    # ---- QMP ----------------------------------------------------------

    def connect(self):
        """Connect and negotiate; False while the socket is not there yet."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(self.args.qmp)
        except OSError:
            s.close()
            return False
        self.sock = s
        greeting = self.recv_msg(10)
        if greeting is None or "QMP" not in greeting:
            self.log("qmp: no greeting (%r)" % (greeting,))
            self.close()
            return False
        reply = self.execute("qmp_capabilities")
        if reply is None or "return" not in reply:
            self.log("qmp: qmp_capabilities failed: %r" % (reply,))
            self.close()
            return False
        v = greeting["QMP"].get("version", {}).get("qemu", {})
        self.log("qmp: connected to QEMU %s.%s.%s" %
                 (v.get("major"), v.get("minor"), v.get("micro")))
        return True

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None

    def recv_msg(self, timeout):
        """One JSON message from QEMU, or None after timeout (s) / EOF."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.rbuf:
            left = deadline - time.monotonic()
            if left <= 0 or not self.sock:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            data = self.sock.recv(65536)
            if not data:
                self.log("qmp: QEMU closed the socket")
                self.close()
                return None
            self.rbuf += data
        line, self.rbuf = self.rbuf.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            self.log("qmp: bad message %r" % line)
            return {}

    def execute(self, cmd, arguments=None):
        """Send a command; log the events read meanwhile; return the reply."""
        msg = {"execute": cmd}
        if arguments:
            msg["arguments"] = arguments
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self.recv_msg(30)
            if reply is None:
                return None
            if "event" in reply:
                self.log_event(reply)
                continue
            return reply

    def log_event(self, ev):
        data = ev.get("data", {})
        self.log("qmp event %s %s" % (ev.get("event"), json.dumps(data)))
        if ev.get("event") == "DEVICE_DELETED":
            self.deleting.discard(data.get("device"))

    def wait_deleted(self, dev_id, timeout):
        """Wait for the DEVICE_DELETED event of an earlier device_del."""
        deadline = time.monotonic() + timeout
        while dev_id in self.deleting and self.sock:
            if time.monotonic() > deadline:
                self.log("  %s: no DEVICE_DELETED after %d s" % (dev_id, timeout))
                return
            ev = self.recv_msg(min(0.2, max(deadline - time.monotonic(), 0)))
            if ev and "event" in ev:
                self.log_event(ev)

    def poll_events(self):
        while self.sock and b"\n" in self.rbuf:
            ev = self.recv_msg(0)
            if ev and "event" in ev:
                self.log_event(ev)
        if not self.sock:
            return
        r, _, _ = select.select([self.sock], [], [], 0)
        if r:
            data = self.sock.recv(65536)
            if not data:
                self.log("qmp: QEMU closed the socket")
                self.close()
                return
            self.rbuf += data
            self.poll_events()

    # ---- guest requests ---------------------------------------------

    def request(self, text):
        words = text.split(None, 1)
        if not words:
            return
        cmd, arg = words[0], (words[1].strip() if len(words) > 1 else "")
        self.log("guest asks: %s" % text)
        if not self.sock and not self.connect():
            self.log("  refused: no QMP connection")
            return
        if cmd == "device_del" and arg and " " not in arg:
            reply = self.execute("device_del", {"id": arg})
            if reply and "return" in reply:
                self.deleting.add(arg)
        elif cmd == "device_add" and arg and " " not in arg:
            # The guest saw its device go before QEMU deleted it (after
            # the slot's power-off): an id is free after DEVICE_DELETED.
            for kv in arg.split(",")[1:]:
                if kv.startswith("id="):
                    self.wait_deleted(kv[3:], 30)
            reply = self.execute("human-monitor-command",
                                 {"command-line": "device_add " + arg})
            # HMP reports errors as text in "return".
            if reply and reply.get("return"):
                reply = {"error": {"desc": reply["return"].strip()}}
        else:
            self.log("  refused: unknown request")
            return
        if reply is None:
            self.log("  no reply from QEMU")
        elif "error" in reply:
            self.log("  QEMU error: %s" % reply["error"].get("desc"))
        else:
            self.log("  QEMU: ok")

    def follow_serial(self):
        if self.serial is None:
            try:
                self.serial = open(self.args.serial, "rb")
            except OSError:
                return
        data = self.serial.read()
        if not data:
            return
        self.sbuf += data
        while b"\n" in self.sbuf:
            line, self.sbuf = self.sbuf.split(b"\n", 1)
            text = line.decode("utf-8", "replace").replace("\r", "")
            i = text.find(MARK)
            if i >= 0:
                self.request(text[i + len(MARK):].strip())

    def run(self):
        while alive(self.args.pid):
            if not self.sock:
                self.connect()
            self.follow_serial()
            self.poll_events()
            time.sleep(0.05)
        self.follow_serial()
        self.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--qmp", required=True, help="QEMU's QMP unix socket")
    p.add_argument("--serial", required=True, help="guest serial log to follow")
    p.add_argument("--pid", type=int, required=True, help="run while it lives")
    p.add_argument("--log", help="log file (default stderr)")
    Agent(p.parse_args()).run()


if __name__ == "__main__":
    main()

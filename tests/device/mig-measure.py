#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Migrate an idle q35 VM (TCG) with a default rbnn card (error model on)
# over a unix socket and print query-migrate's downtime, total time and
# bytes, and the card's x-mig-* counters (bytes of the array sent while
# the VM ran and with it stopped). Not a test: a measurement
# (Documentation/rbnn-device.rst, Migration).
#   tests/device/mig-measure.py QEMU [DOWNTIME_LIMIT_MS]
import json, os, shutil, socket, subprocess, sys, tempfile, time
qemu = sys.argv[1]
d = tempfile.mkdtemp(prefix="rbnn-mig-")
base = [qemu, "-L", "/usr/share/seabios", "-L", "/usr/share/qemu", "-M", "q35",
        "-nodefaults", "-display", "none", "-accel", "tcg",
        "-device", "rbnn,id=card,addr=04.0,seed=13"]
def qmp(path):
    for _ in range(200):
        try:
            s = socket.socket(socket.AF_UNIX); s.connect(path); break
        except OSError:
            time.sleep(0.05)
    f = s.makefile("rw")
    f.readline()
    def cmd(c, **a):
        f.write(json.dumps({"execute": c, "arguments": a}) + "\n"); f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                return r
    cmd("qmp_capabilities")
    return cmd
procs = []
for n, extra in (("dst", ["-incoming", "unix:%s/mig.sock" % d]), ("src", [])):
    q = "%s/%s.qmp" % (d, n)
    if os.path.exists(q): os.unlink(q)
    procs.append(subprocess.Popen(base + extra + ["-qmp", "unix:%s,server=on,wait=off" % q]))
time.sleep(0.5)
dst, src = qmp(d + "/dst.qmp"), qmp(d + "/src.qmp")
time.sleep(1)
dl = int(sys.argv[2]) if len(sys.argv) > 2 else 300
print(src("migrate-set-parameters", **{"downtime-limit": dl}))
src("migrate", uri="unix:%s/mig.sock" % d)
while True:
    r = src("query-migrate")["return"]
    if r.get("status") in ("completed", "failed"): break
    time.sleep(0.01)
print("status %s downtime %s ms total-time %s ms transferred %s" % (
    r["status"], r.get("downtime"), r.get("total-time"), r.get("ram", {}).get("transferred")))
for p in ("x-mig-live-bytes", "x-mig-final-bytes", "x-mig-final-rows"):
    print(p, src("qom-get", path="/machine/peripheral/card", property=p))
for c in (src, dst):
    c("quit")
for p in procs:
    p.wait()
shutil.rmtree(d)

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""Check the syzkaller description tests/syzkaller/rbnn.txt against the uAPI
header kernel/include/uapi/drm/rbnn_accel.h, so that the two cannot drift
apart silently. Prints TAP (for tests/run-tap.sh):

  - rbnn.txt parses: every line is an include, resource, syscall, flag set,
    struct or union this checker understands;
  - every struct of the header is described (by its name, or name$variant);
  - each described struct named after a C struct has the C struct's fields,
    in its order, at its offsets, with its sizes, and its total size, laid
    out as syzkaller lays out structs (natural alignment);
  - the const strides (layer_stride, seg_stride, in_stride) are the sizes of
    the elements they describe;
  - every ioctl of the header is described with its own struct, whose size
    is the size encoded in the ioctl number and whose direction (in, inout)
    is the number's;
  - every flag set lists all the header's values of its kind;
  - rbnn.txt.const has every constant rbnn.txt uses, with the header's
    value (amd64);
  - the types that are no C struct are the ones this checker knows.

The facts of the C side come from a small program compiled with gcc that
prints sizeof, offsetof and the constants. Then the same checks run on
broken copies of rbnn.txt (two fields swapped, a field made wider, an ioctl
given another struct, a flag value dropped, a stride off by 8): each must
fail, or the checker itself is broken.

  /usr/bin/python3 tests/syzkaller/check.py            the checks (TAP)
  /usr/bin/python3 tests/syzkaller/check.py --write-const
                                                        regenerate rbnn.txt.const

drm.h comes from $DRM_UAPI, else libdrm-dev's /usr/include/libdrm (or
/usr/include/drm); without one every check is skipped.
"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
HEADER = os.path.join(TOP, "kernel", "include", "uapi", "drm", "rbnn_accel.h")
DESC = os.path.join(HERE, "rbnn.txt")
CONSTS = os.path.join(HERE, "rbnn.txt.const")

# syzkaller types this description uses from sys/linux/*.txt: (size, align).
EXTERNAL = {
    "fd": (4, 4), "fd_dri": (4, 4), "drm_gem_handle": (4, 4),
    "drm_syncobj": (4, 4), "drm_syncpoint": (8, 8), "vma": (8, 8),
}
# Flag sets of other files (their constants are theirs).
EXTERNAL_FLAGS = {"open_flags", "mmap_prot", "mmap_flags"}
# Described types that are no C struct, and why.
SYZ_ONLY = {
    "rbnn_query_tiles_answer": "the QUERY_TILES answer: header, then records",
    "rbnn_syncs": "a union of the two valid ways to fill drm_rbnn_syncs",
}
# (struct, const stride field, element type)
STRIDES = [
    ("drm_rbnn_exec", "layer_stride", "drm_rbnn_layer"),
    ("drm_rbnn_exec", "seg_stride", "drm_rbnn_segment"),
    ("drm_rbnn_syncs$in", "in_stride", "drm_rbnn_sync"),
]
# Flag set -> prefix of the header's constants it must list, all of them.
FLAGSETS = {
    "rbnn_query_type": "DRM_RBNN_QUERY_",
    "rbnn_tile_state": "DRM_RBNN_TILE_STATE_",
    "rbnn_program_flags": "DRM_RBNN_PROGRAM_",
    "rbnn_readback_flags": "DRM_RBNN_READBACK_",
    "rbnn_admin_op": "DRM_RBNN_ADMIN_",
    "rbnn_layer_op": "DRM_RBNN_LAYER_",
    "rbnn_out_mode": "DRM_RBNN_OUT_",
}
# Constants that are not the header's, and where the C program gets them.
OTHER_CONSTS = {"AT_FDCWD": "fcntl.h", "__NR_ioctl": "sys/syscall.h",
                "__NR_openat": "sys/syscall.h", "__NR_mmap": "sys/syscall.h"}
INTS = {"int8": 1, "int16": 2, "int32": 4, "int64": 8, "intptr": 8}
IOC_WRITE, IOC_READ = 1, 2      # asm-generic/ioctl.h (x86, arm64, riscv)


class Error(Exception):
    pass


# ---- rbnn.txt ----------------------------------------------------------------

def strip_comment(line):
    """Drop a '#' comment that is not inside a string."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == "#" and not quoted:
            return line[:i]
    return line


def split_top(s, sep=","):
    """Split @s at @sep outside brackets and parentheses."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == sep and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_type(t):
    """'ptr64[in, array[x, 1:4]]' -> ('ptr64', ['in', 'array[x, 1:4]'])."""
    t = t.strip()
    m = re.match(r"^([\w$]+)(?:\[(.*)\])?$", t)
    if not m:
        raise Error("cannot parse type '%s'" % t)
    return m.group(1), split_top(m.group(2)) if m.group(2) is not None else []


class Desc:
    def __init__(self, text):
        self.resources = {}     # name -> base type
        self.flags = {}         # name -> [values]
        self.structs = {}       # name -> [(field, type)]
        self.unions = {}        # name -> [(option, type)]
        self.syscalls = []      # (name, [(arg, type)])
        self.parse(text)

    def parse(self, text):
        lines = [strip_comment(l).rstrip() for l in text.split("\n")]
        i = 0
        while i < len(lines):
            line = lines[i].strip()
            i += 1
            if not line or line.startswith("include "):
                continue
            m = re.match(r"^resource\s+(\w+)\[(\w+)\](?:\s*:\s*(.*))?$", line)
            if m:
                self.resources[m.group(1)] = m.group(2)
                continue
            m = re.match(r"^(\w+)\s*=\s*(.+)$", line)
            if m:
                self.flags[m.group(1)] = split_top(m.group(2))
                continue
            m = re.match(r"^([\w$]+)\s*([{\[])$", line)
            if m:
                name, close = m.group(1), "}" if m.group(2) == "{" else "]"
                fields = []
                while i < len(lines) and lines[i].strip() != close:
                    if lines[i].strip():
                        fields.append(self.parse_field(lines[i]))
                    i += 1
                if i == len(lines):
                    raise Error("'%s' is not closed" % name)
                i += 1
                (self.structs if close == "}" else self.unions)[name] = fields
                continue
            m = re.match(r"^([\w$]+)\((.*)\)(?:\s+([\w$]+))?$", line)
            if m:
                args = []
                for a in split_top(m.group(2)):
                    an, at = a.split(None, 1)
                    args.append((an, at.strip()))
                self.syscalls.append((m.group(1), args))
                continue
            raise Error("line %d not understood: %s" % (i, line))

    @staticmethod
    def parse_field(line):
        parts = line.strip().split(None, 1)
        if len(parts) != 2:
            raise Error("field line not understood: %s" % line.strip())
        name, rest = parts
        rest = re.sub(r"\s*\((in|out|inout)\)\s*$", "", rest.strip())
        return name, rest

    # Layout as syzkaller does it: natural alignment, like the C ABI.
    def layout(self, t):
        """(size, align) of a type; size None for a variable-length one."""
        base, args = parse_type(t)
        if re.match(r"^int(8|16|32|64)$", base) or base == "intptr":
            n = INTS[base]
            return n, n
        if base in ("const", "flags", "len", "bytesize"):
            if len(args) != 2:
                raise Error("%s needs an explicit underlying type: %s" % (base, t))
            return self.layout(args[1])
        if base in ("ptr", "ptr64"):
            return 8, 8
        if base == "array":
            size, align = self.layout(args[0])
            if len(args) == 2 and re.match(r"^\d+$", args[1]):
                return size * int(args[1]), align
            return None, align
        if base in self.resources:
            return self.layout(self.resources[base])
        if base in EXTERNAL:
            return EXTERNAL[base]
        if base in self.structs:
            return self.struct_layout(base)[:2]
        if base in self.unions:
            sizes = [self.layout(ot) for _, ot in self.unions[base]]
            if any(s is None for s, _ in sizes):
                raise Error("union %s has a variable-length option" % base)
            return max(s for s, _ in sizes), max(a for _, a in sizes)
        raise Error("unknown type '%s'" % base)

    def struct_layout(self, name):
        """(size, align, [(field, offset, size)])."""
        off, align, out = 0, 1, []
        fields = self.structs[name]
        for k, (fname, ftype) in enumerate(fields):
            size, falign = self.layout(ftype)
            off = (off + falign - 1) // falign * falign
            if size is None and k != len(fields) - 1:
                raise Error("%s.%s: variable length, not last" % (name, fname))
            out.append((fname, off, size))
            align = max(align, falign)
            if size is None:
                return None, align, out
            off += size
        return (off + align - 1) // align * align, align, out

    def consts_used(self):
        """Identifiers used as constants (const[X, ...] and flag values)."""
        names = set()

        def walk(t):
            base, args = parse_type(t)
            if base == "const" and args and re.match(r"^[A-Z_]\w*$", args[0]):
                names.add(args[0])
            for a in args:
                if re.match(r"^[\w$]+(\[.*\])?$", a):
                    walk(a)
        for fields in list(self.structs.values()) + list(self.unions.values()):
            for _, ft in fields:
                walk(ft)
        for _, args in self.syscalls:
            for _, at in args:
                walk(at)
        for vals in self.flags.values():
            names.update(v for v in vals if re.match(r"^[A-Z_]\w*$", v))
        for name, _ in self.syscalls:
            names.add("__NR_" + name.split("$")[0])
        names.discard("__NR_syz_open_dev")      # a pseudo-syscall
        return names


# ---- the header and the C program --------------------------------------------

def read_header():
    text = open(HEADER).read()
    structs = re.findall(r"^struct (\w+) \{", text, re.M)
    ioctls = {}
    for m in re.finditer(r"#define (DRM_IOCTL_RBNN_\w+)\s*\\\s*DRM_IO(WR|W|R)\("
                         r"DRM_COMMAND_BASE \+ \w+, struct (\w+)\)", text):
        ioctls[m.group(1)] = (m.group(2), m.group(3))
    names = set(re.findall(r"^#define (DRM_RBNN_\w+)\s", text, re.M))
    names |= set(re.findall(r"^\s+(DRM_RBNN_\w+) = ", text, re.M))
    return structs, ioctls, names


def find_drm_uapi():
    for d in (os.environ.get("DRM_UAPI", ""), "/usr/include/libdrm",
              "/usr/include/drm"):
        if d and os.path.isfile(os.path.join(d, "drm.h")):
            return d
    return None


def c_facts(desc, cstructs, consts, drm_uapi):
    """sizeof/offsetof of every described C struct field, and constants."""
    lines = ["#include <stdio.h>", "#include <stddef.h>", "#include <fcntl.h>",
             "#include <sys/syscall.h>", '#include "drm.h"',
             '#include "rbnn_accel.h"', "int main(void)", "{"]
    for name in sorted(desc.structs):
        c = name.split("$")[0]
        if c not in cstructs:
            continue
        lines.append('\tprintf("size %s %%zu\\n", sizeof(struct %s));' % (c, c))
        for fname, _ in desc.structs[name]:
            lines.append('\tprintf("field %s %s %%zu %%zu\\n", offsetof(struct %s, %s), '
                         'sizeof(((struct %s *)0)->%s));' % (c, fname, c, fname, c, fname))
    for k in sorted(consts):
        lines.append('\tprintf("const %s %%llu\\n", (unsigned long long)(%s));' % (k, k))
    lines += ["\treturn 0;", "}"]
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = os.path.join(tmp, "facts.c"), os.path.join(tmp, "facts")
        with open(src, "w") as f:
            f.write("\n".join(lines) + "\n")
        cc = subprocess.run(["gcc", "-std=gnu11", "-Wall", "-Werror", "-D__user=",
                             "-I", os.path.dirname(HEADER), "-I", drm_uapi,
                             src, "-o", exe], capture_output=True, text=True)
        if cc.returncode:
            raise Error("the C side does not compile (a field or constant the "
                        "header lacks?):\n" + cc.stderr)
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout
    facts = {"size": {}, "field": {}, "const": {}}
    for line in out.split("\n"):
        p = line.split()
        if not p:
            continue
        if p[0] == "size":
            facts["size"][p[1]] = int(p[2])
        elif p[0] == "field":
            facts["field"][(p[1], p[2])] = (int(p[3]), int(p[4]))
        else:
            facts["const"][p[1]] = int(p[2])
    return facts


# ---- the checks ------------------------------------------------------------------

def check_all(text, header, facts):
    """[(ok, description, [diagnostics])] for one rbnn.txt text."""
    cstructs, ioctls, hnames = header
    res = []
    try:
        d = Desc(text)
    except Error as e:
        return [(False, "rbnn.txt parses", [str(e)])]
    res.append((True, "rbnn.txt parses (%d structs, %d unions, %d syscalls)" %
                (len(d.structs), len(d.unions), len(d.syscalls)), []))

    bases = {n.split("$")[0] for n in list(d.structs) + list(d.unions)}
    missing = [s for s in cstructs if s not in bases]
    res.append((not missing, "every struct of the header is described",
                ["not described: struct %s" % s for s in missing]))

    for name in sorted(d.structs):
        c = name.split("$")[0]
        if c not in cstructs:
            continue
        diag = []
        try:
            size, _, fields = d.struct_layout(name)
        except Error as e:
            res.append((False, "%s matches struct %s" % (name, c), [str(e)]))
            continue
        for fname, off, fsize in fields:
            want = facts["field"].get((c, fname))
            if want is None:
                diag.append("%s: no field %s in the C side's facts" % (name, fname))
            elif want != (off, fsize):
                diag.append("%s.%s: offset %s size %s, the header says offset %d size %d"
                            % (name, fname, off, fsize, want[0], want[1]))
        if size != facts["size"].get(c):
            diag.append("%s: %s bytes, struct %s has %s" % (name, size, c,
                                                             facts["size"].get(c)))
        res.append((not diag, "%s matches struct %s (%s bytes, %d fields)" %
                    (name, c, facts["size"].get(c), len(fields)), diag))

    diag = []
    for sname, field, elem in STRIDES:
        ft = dict(d.structs.get(sname, [])).get(field)
        base, args = parse_type(ft) if ft else (None, [])
        if base != "const" or not args or not args[0].isdigit():
            diag.append("%s.%s is not a const stride" % (sname, field))
        elif int(args[0]) != facts["size"].get(elem):
            diag.append("%s.%s is %s, sizeof(struct %s) is %s" % (
                sname, field, args[0], elem, facts["size"].get(elem)))
    res.append((not diag, "strides are the sizes of their elements", diag))

    diag = []
    described = {}
    for name, args in d.syscalls:
        if not name.startswith("ioctl$"):
            continue
        cmd, arg = dict(args).get("cmd", ""), dict(args).get("arg", "")
        cbase, cargs = parse_type(cmd)
        abase, aargs = parse_type(arg)
        if cbase != "const" or abase not in ("ptr", "ptr64") or len(aargs) != 2:
            diag.append("%s: cmd or arg not understood" % name)
            continue
        num = cargs[0]
        described.setdefault(num, []).append(name)
        if num not in ioctls:
            diag.append("%s: %s is not an ioctl of the header" % (name, num))
            continue
        cdir, cstruct = ioctls[num]
        if aargs[1].split("$")[0] != cstruct:
            diag.append("%s: %s is %s, not %s" % (name, num, cstruct, aargs[1]))
        value = facts["const"].get(num, 0)
        size, _ = d.layout(aargs[1])
        if size != (value >> 16) & 0x3fff:
            diag.append("%s: %s encodes %d bytes, %s has %s" % (
                name, num, (value >> 16) & 0x3fff, aargs[1], size))
        want = {"inout": IOC_READ | IOC_WRITE, "in": IOC_WRITE, "out": IOC_READ}
        if want.get(aargs[0]) != value >> 30:
            diag.append("%s: ptr[%s] but %s has direction %d" % (name, aargs[0], num,
                                                                 value >> 30))
    for num in ioctls:
        if num not in described:
            diag.append("not described: %s" % num)
    res.append((not diag, "every ioctl of the header is described with its struct, "
                "size and direction (%d)" % len(ioctls), diag))

    diag = []
    for fset, prefix in FLAGSETS.items():
        want = {n for n in hnames if n.startswith(prefix)}
        have = set(d.flags.get(fset, []))
        if want != have:
            diag.append("%s lists %s, the header has %s" % (
                fset, sorted(have), sorted(want)))
    res.append((not diag, "flag sets list every value of the header", diag))

    diag = []
    known = set(facts["const"])
    for k in sorted(d.consts_used()):
        if k not in known:
            diag.append("constant %s is neither the header's nor known" % k)
    consts = read_const_file()
    for k in sorted(d.consts_used() & known):
        if consts.get(k) != facts["const"][k]:
            diag.append("rbnn.txt.const: %s = %s, the header says %s" % (
                k, consts.get(k), facts["const"][k]))
    res.append((not diag, "rbnn.txt.const has the header's value of every constant "
                "used (%d)" % len(d.consts_used()), diag))

    diag = []
    for n in list(d.structs) + list(d.unions):
        if n.split("$")[0] not in cstructs and n not in SYZ_ONLY:
            diag.append("%s is no struct of the header" % n)
    for fset in d.flags:
        if fset not in FLAGSETS and not all(v.isdigit() for v in d.flags[fset]):
            diag.append("flag set %s: values not checked against the header" % fset)
    res.append((not diag, "the types that are no C struct are known ones", diag))
    return res


def read_const_file():
    vals = {}
    if not os.path.exists(CONSTS):
        return vals
    for line in open(CONSTS):
        m = re.match(r"^(\w+) = (\d+)", line)
        if m:
            vals[m.group(1)] = int(m.group(2))
    return vals


def write_const_file(facts, desc):
    with open(CONSTS, "w") as f:
        f.write("# SPDX-License-Identifier: GPL-2.0-only OR MIT\n"
                "# Generated by tests/syzkaller/check.py --write-const from\n"
                "# kernel/include/uapi/drm/rbnn_accel.h; for more arches use\n"
                "# syz-extract (tests/syzkaller/README.md).\n")
        f.write("arches = amd64\n")
        for k in sorted(desc.consts_used()):
            f.write("%s = %d\n" % (k, facts["const"][k]))


# Broken copies of rbnn.txt the checks must reject.
def breakages(text):
    def swap_fields(t):
        return t.replace("\tcycles_max\t\tint32\n\tstuck\t\t\tint32\n",
                         "\tstuck\t\t\tint32\n\tcycles_max\t\tint32\n", 1)

    def widen(t):
        return t.replace("\tin_bits\t\tint32[1:8]", "\tin_bits\t\tint64[1:8]", 1)

    def wrong_struct(t):
        return t.replace("arg ptr[in, drm_rbnn_tile_free])",
                         "arg ptr[in, drm_rbnn_bo_wait])", 1)

    def drop_flag(t):
        return t.replace(", DRM_RBNN_LAYER_MAXPOOL1D\n", "\n", 1)

    def bad_stride(t):
        return t.replace("seg_stride\tconst[24, int32]", "seg_stride\tconst[32, int32]", 1)

    for name, f in (("two fields swapped", swap_fields), ("a field widened", widen),
                    ("an ioctl given another struct", wrong_struct),
                    ("a flag value dropped", drop_flag), ("a stride off by 8", bad_stride)):
        broken = f(text)
        if broken == text:
            raise Error("self-test '%s' did not change rbnn.txt" % name)
        yield name, broken


def main():
    header = read_header()
    drm_uapi = find_drm_uapi()
    text = open(DESC).read()
    if not drm_uapi:
        print("1..0 # SKIP no drm.h (install libdrm-dev or set DRM_UAPI)")
        return 0
    try:
        desc = Desc(text)
        used = desc.consts_used()
        wanted = {k for k in used if k in header[2] or k.startswith("DRM_IOCTL_RBNN_")
                  or k in OTHER_CONSTS}
        wanted |= set(header[1]) | {n for n in header[2] if
                                    any(n.startswith(p) for p in FLAGSETS.values())}
        facts = c_facts(desc, header[0], wanted, drm_uapi)
    except Error as e:
        print("1..1\nnot ok 1 - rbnn.txt and the header can be compared")
        for line in str(e).split("\n"):
            print("# " + line)
        return 1
    if sys.argv[1:] == ["--write-const"]:
        write_const_file(facts, desc)
        print("wrote %s" % CONSTS)
        return 0
    results = check_all(text, header, facts)
    selftests = []
    for name, broken in breakages(text):
        bad = [r for r in check_all(broken, header, facts) if not r[0]]
        selftests.append((bool(bad), "the checks reject rbnn.txt with %s" % name,
                          [r[1] for r in bad] or ["nothing failed"]))
    allres = results + selftests
    print("TAP version 13")
    print("1..%d" % len(allres))
    failed = 0
    for n, (ok, what, diag) in enumerate(allres, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", n, what))
        for line in diag if not ok or what.startswith("the checks reject") else []:
            print("# " + line)
        failed += not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

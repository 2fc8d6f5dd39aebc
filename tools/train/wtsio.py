"""TensorRT V2 `.wts` writer and reader (pure Python, no third-party imports).

Format (FACTS.md section 1, TensorRT samples/common/dumpTFWts.py):
  header  = decimal record count + "\n"
  record  = "name type shape " + raw little-endian C-order bytes + "\n"
  shape   = Python tuple text: "(1024, 2048)", "(2048,)", "()"
  type    = TensorRT DataType: 0 float32, 1 float16 (this writer stores the REAL dtype, unlike dumpTFWts).
Records are written sorted by name, as dumpTFWts does.
"""

import struct

ELEMENT_SIZE = {0: 4, 1: 2, 2: 1, 3: 4, 4: 1, 5: 1, 6: 1, 7: 2, 8: 8}
STRUCT_CODE = {0: "f", 1: "e", 3: "i", 8: "q"}


def shape_text(shape):
    return str(tuple(int(d) for d in shape))


def element_count(shape):
    n = 1
    for d in shape:
        n *= int(d)
    return n


def write_wts(path, records):
    """records: iterable of (name, type_code, shape, raw_bytes). Written sorted by name."""
    records = sorted(records, key=lambda r: r[0])
    names = [r[0] for r in records]
    if len(set(names)) != len(names):
        raise ValueError("duplicate tensor names")
    with open(path, "wb") as f:
        f.write(b"%d\n" % len(records))
        for name, type_code, shape, raw in records:
            if " " in name or "\n" in name:
                raise ValueError("bad tensor name %r" % name)
            expected = element_count(shape) * ELEMENT_SIZE[type_code]
            if len(raw) != expected:
                raise ValueError("%s: %d bytes, expected %d" % (name, len(raw), expected))
            f.write(("%s %d %s " % (name, type_code, shape_text(shape))).encode("ascii"))
            f.write(raw)
            f.write(b"\n")


def read_wts(path):
    """Returns a list of (name, type_code, shape, raw_bytes) in file order. Strict: never parses by lines."""
    with open(path, "rb") as f:
        data = f.read()
    pos = data.index(b"\n")
    count = int(data[:pos].decode("ascii"))
    pos += 1
    out = []
    for _ in range(count):
        sp = data.index(b" ", pos)
        name = data[pos:sp].decode("ascii")
        pos = sp + 1
        sp = data.index(b" ", pos)
        type_code = int(data[pos:sp].decode("ascii"))
        pos = sp + 1
        if data[pos:pos + 1] != b"(":
            raise ValueError("%s: shape does not start with '(' at byte %d" % (name, pos))
        close = data.index(b")", pos)
        inner = data[pos + 1:close].decode("ascii")
        shape = tuple(int(t) for t in inner.split(",") if t.strip())
        pos = close + 1
        if data[pos:pos + 1] != b" ":
            raise ValueError("%s: no space after shape at byte %d" % (name, pos))
        pos += 1
        nbytes = element_count(shape) * ELEMENT_SIZE[type_code]
        raw = data[pos:pos + nbytes]
        if len(raw) != nbytes:
            raise ValueError("%s: truncated (%d of %d bytes)" % (name, len(raw), nbytes))
        pos += nbytes
        if data[pos:pos + 1] != b"\n":
            raise ValueError("%s: record not followed by newline at byte %d" % (name, pos))
        pos += 1
        out.append((name, type_code, shape, raw))
    if pos != len(data):
        raise ValueError("%d trailing bytes after %d records" % (len(data) - pos, count))
    return out


def unpack_values(type_code, raw):
    """Decode raw bytes to a list of Python numbers (little-endian)."""
    code = STRUCT_CODE[type_code]
    size = ELEMENT_SIZE[type_code]
    return list(struct.unpack("<%d%s" % (len(raw) // size, code), raw))


if __name__ == "__main__":
    # Self-test (pure Python): round trip, blobs containing '\n' and ' ' bytes, sorting.
    import os
    import tempfile

    vals32 = [1.0, -2.5, 0.0, 0.5, 10.0, 32.0]
    recs = [
        ("zeta", 0, (2, 3), struct.pack("<6f", *vals32)),
        ("alpha", 1, (4,), struct.pack("<4e", 1.0, 0.5, -65504.0, 2.0 ** -24)),
        ("blob", 0, (3,), b"\n \n \n \n \n \n "),  # 12 bytes of '\n' and ' '
        ("scalar", 0, (), struct.pack("<f", 7.0)),
    ]
    d = tempfile.mkdtemp()
    p = os.path.join(d, "t.wts")
    write_wts(p, recs)
    back = read_wts(p)
    assert [r[0] for r in back] == ["alpha", "blob", "scalar", "zeta"], [r[0] for r in back]
    m = {r[0]: r for r in back}
    assert m["zeta"][2] == (2, 3) and unpack_values(0, m["zeta"][3]) == vals32
    assert m["alpha"][1] == 1 and unpack_values(1, m["alpha"][3]) == [1.0, 0.5, -65504.0, 2.0 ** -24]
    assert m["blob"][3] == b"\n \n \n \n \n \n "
    assert m["scalar"][2] == () and unpack_values(0, m["scalar"][3]) == [7.0]
    with open(p, "rb") as f:
        head = f.read(40)
    assert head.startswith(b"4\nalpha 1 (4,) "), head
    print("wtsio self-test OK:", p)

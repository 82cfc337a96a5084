#!/usr/bin/env python3
"""Writes one Smooth Streaming video level as an H.264 Annex-B elementary stream.

Usage: bench-annexb.py PRESENTATION_DIR OUT.h264 [BITRATE]

Used by bench-playthrough.sh to give ffmpeg (an external reference decoder) exactly the
access units the player decodes. Deliberately independent of the engine: a minimal
moof/traf/tfhd/trun/mdat walk (ISO/IEC 14496-12) and the manifest's CodecPrivateData.
BITRATE defaults to the highest H.264 level. Exits non-zero with a message on anything
it does not understand (bench tooling, trusted fixtures).
"""
import re
import struct
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def boxes(data, start, end):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            sys.exit(f"bad box {kind!r} at {pos}")
        yield kind.decode("latin-1"), pos, pos + header, pos + size
        pos += size


def samples(fragment):
    """Length-prefixed samples of a single-track moof+mdat, in decode order."""
    moof = next((b for b in boxes(fragment, 0, len(fragment)) if b[0] == "moof"), None)
    mdat = next((b for b in boxes(fragment, 0, len(fragment)) if b[0] == "mdat"), None)
    if moof is None or mdat is None:
        sys.exit("fragment without moof or mdat")
    out = []
    for kind, _, body, end in boxes(fragment, moof[2], moof[3]):
        if kind != "traf":
            continue
        default_size = None
        for k, _, b, e in boxes(fragment, body, end):
            flags = struct.unpack_from(">I", fragment, b)[0] & 0xFFFFFF
            p = b + 8  # version/flags + track_ID
            if k == "tfhd":
                for bit, width in ((0x1, 8), (0x2, 4), (0x8, 4)):
                    if flags & bit:
                        p += width
                if flags & 0x10:
                    default_size = struct.unpack_from(">I", fragment, p)[0]
            elif k == "trun":
                count = struct.unpack_from(">I", fragment, b + 4)[0]
                p = b + 8
                offset = mdat[2]
                if flags & 0x1:
                    offset = moof[1] + struct.unpack_from(">i", fragment, p)[0]
                    p += 4
                if flags & 0x4:
                    p += 4
                for _ in range(count):
                    if flags & 0x100:
                        p += 4
                    size = default_size
                    if flags & 0x200:
                        size = struct.unpack_from(">I", fragment, p)[0]
                        p += 4
                    if flags & 0x400:
                        p += 4
                    if flags & 0x800:
                        p += 4
                    if size is None:
                        sys.exit("trun without sample sizes and no default")
                    out.append(fragment[offset:offset + size])
                    offset += size
    return out


def to_annexb(sample, prefix):
    out = bytearray()
    pos = 0
    while pos < len(sample):
        n = int.from_bytes(sample[pos:pos + prefix], "big")
        out += b"\0\0\0\1" + sample[pos + prefix:pos + prefix + n]
        pos += prefix + n
    return bytes(out)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    root = Path(sys.argv[1])
    doc = ET.parse(root / "Manifest").getroot()
    video = next(s for s in doc.iter("StreamIndex") if s.get("Type", "").lower() == "video")
    levels = [q for q in video.iter("QualityLevel") if q.get("FourCC", "").upper() in ("H264", "AVC1")]
    want = int(sys.argv[3]) if len(sys.argv) == 4 else max(int(q.get("Bitrate")) for q in levels)
    level = next(q for q in levels if int(q.get("Bitrate")) == want)
    prefix = int(level.get("NALUnitLengthField", "4"))
    t = 0
    starts = []
    for c in video.iter("c"):
        t = int(c.get("t", t))
        d = int(c.get("d"))
        for _ in range(int(c.get("r", "1"))):
            starts.append(t)
            t += d
    template = video.get("Url")
    with open(sys.argv[2], "wb") as f:
        f.write(bytes.fromhex(level.get("CodecPrivateData")))
        for start in starts:
            url = re.sub(r"\{[Bb]itrate\}", str(want), template)
            url = re.sub(r"\{start[ _]time\}", str(start), url)
            for s in samples((root / url).read_bytes()):
                f.write(to_annexb(s, prefix))
    print(f"{sys.argv[2]}: {len(starts)} fragments of level {want}", file=sys.stderr)


main()

"""Opens an xchannel export archive with pyzipper, a ZIP implementation other than the
one that wrote it, and prints every entry as JSON: its name, its WinZip AES vendor
version and strength (from the 0x9901 extra field), its decrypted bytes in base64, and
its CSV rows or, for xlsx, its sheets and cell texts. Exits 3 when the password does not open the archive.

usage: open_archive.py ARCHIVE PASSWORD
"""

import base64
import csv
import io
import json
import re
import struct
import sys
import zipfile
from xml.sax.saxutils import unescape

import pyzipper


def aes_field(extra):
    """(vendor version, strength) of the WinZip AES extra field, or None."""
    at = 0
    while at + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, at)
        if header_id == 0x9901:
            version, _vendor, strength = struct.unpack_from("<H2sB", extra, at + 4)
            return version, strength
        at += 4 + size
    return None


def main():
    path, password = sys.argv[1], sys.argv[2].encode()
    entries = []
    with pyzipper.AESZipFile(path) as archive:
        archive.setpassword(password)
        for info in archive.infolist():
            try:
                data = archive.read(info.filename)
            except RuntimeError as err:  # pyzipper: "Bad password for file"
                print(f"cannot open {info.filename}: {err}", file=sys.stderr)
                sys.exit(3)
            aes = aes_field(info.extra)
            entry = {
                "name": info.filename,
                "aesVendorVersion": aes and aes[0],
                "aesStrength": aes and aes[1],
                "bytes": base64.b64encode(data).decode(),
            }
            if info.filename.endswith(".csv"):
                text = data.decode("utf-8")
                entry["rows"] = list(csv.reader(io.StringIO(text, newline="")))
            elif info.filename.endswith(".xlsx"):
                # The workbook's sheets and the texts of its cells (shared strings).
                with zipfile.ZipFile(io.BytesIO(data)) as book:
                    names = book.namelist()
                    strings = book.read("xl/sharedStrings.xml").decode("utf-8")
                entry["xlsxSheets"] = sorted(n for n in names if n.startswith("xl/worksheets/sheet"))
                entry["xlsxStrings"] = [unescape(t) for t in re.findall(r"<t[^>]*>([^<]*)</t>", strings)]
            entries.append(entry)
    json.dump({"entries": entries}, sys.stdout)


if __name__ == "__main__":
    main()

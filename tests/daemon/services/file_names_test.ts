// Received-file names (PROTOCOL-BRIEF §9.2): every sanitising rule, escape attempts, and collision names.
import assert from "node:assert/strict";
import {
  collisionName,
  sanitizeFileName,
  STORED_NAME_MAX_BYTES,
  truncateUtf8,
} from "../../../src/daemon/services/file_names.ts";

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

Deno.test("sanitizeFileName() keeps only the last component after / and \\", () => {
  assert.equal(sanitizeFileName("report.pdf"), "report.pdf");
  assert.equal(sanitizeFileName("a/b/c.txt"), "c.txt");
  assert.equal(sanitizeFileName("C:\\Users\\x\\notes.md"), "notes.md");
  assert.equal(sanitizeFileName("mixed/dir\\file.bin"), "file.bin");
});

Deno.test("sanitizeFileName() defeats traversal and absolute paths", () => {
  assert.equal(sanitizeFileName("../../etc/passwd"), "passwd");
  assert.equal(sanitizeFileName("/etc/shadow"), "shadow");
  assert.equal(sanitizeFileName("..\\..\\windows\\system32\\cmd.exe"), "cmd.exe");
  assert.equal(sanitizeFileName("../"), "file");
  assert.equal(sanitizeFileName("a/.."), "file");
  assert.equal(sanitizeFileName(".."), "file");
  assert.equal(sanitizeFileName("."), "file");
  assert.equal(sanitizeFileName(""), "file");
  assert.equal(sanitizeFileName("/"), "file");
});

Deno.test('sanitizeFileName() removes control characters and <>:"|?*', () => {
  assert.equal(sanitizeFileName("a\u0000b.txt"), "ab.txt");
  assert.equal(sanitizeFileName("evil\u0000.txt\u0000/../x"), "x");
  assert.equal(sanitizeFileName("line\nbreak\r\t.txt"), "linebreak.txt");
  assert.equal(sanitizeFileName("del\u007f c1\u0085.txt"), "del c1.txt");
  assert.equal(sanitizeFileName('a<b>c:d"e|f?g*h.txt'), "abcdefgh.txt");
  assert.equal(sanitizeFileName("\u0001\u0002"), "file");
  assert.equal(sanitizeFileName("C:evil.txt"), "Cevil.txt");
});

Deno.test("sanitizeFileName() trims leading dots and trailing dots and spaces", () => {
  assert.equal(sanitizeFileName(".bashrc"), "bashrc");
  assert.equal(sanitizeFileName("...hidden.txt"), "hidden.txt");
  assert.equal(sanitizeFileName("name.txt. . "), "name.txt");
  assert.equal(sanitizeFileName("  lead space.txt"), "  lead space.txt");
  assert.equal(sanitizeFileName(". . ."), "file");
  assert.equal(sanitizeFileName(".\u0000.x"), "x");
});

Deno.test("sanitizeFileName() prefixes Windows device stems in any case", () => {
  for (const dev of ["CON", "PRN", "AUX", "NUL", "COM1", "COM9", "LPT1", "LPT9"]) {
    assert.equal(sanitizeFileName(dev), `_${dev}`);
    assert.equal(sanitizeFileName(dev.toLowerCase() + ".txt"), `_${dev.toLowerCase()}.txt`);
  }
  assert.equal(sanitizeFileName("Con.tar.gz"), "_Con.tar.gz");
  assert.equal(sanitizeFileName("nul .log"), "_nul .log");
  assert.equal(sanitizeFileName("dir/aux"), "_aux");
  // Not devices: COM0, COM10, a longer stem, the stem only inside the name.
  assert.equal(sanitizeFileName("COM0"), "COM0");
  assert.equal(sanitizeFileName("COM10.txt"), "COM10.txt");
  assert.equal(sanitizeFileName("console.txt"), "console.txt");
  assert.equal(sanitizeFileName("my-con.txt"), "my-con.txt");
});

Deno.test("sanitizeFileName() caps names at 200 bytes without splitting a character", () => {
  const long = "a".repeat(300) + ".txt";
  assert.equal(sanitizeFileName(long), "a".repeat(200));
  const wide = "é".repeat(150); // 300 bytes
  const out = sanitizeFileName(wide);
  assert.equal(utf8Length(out), 200);
  assert.equal(out, "é".repeat(100));
  const emoji = "😀".repeat(60); // 4 bytes each
  assert.equal(sanitizeFileName(emoji), "😀".repeat(50));
  assert.equal(sanitizeFileName("x".repeat(199) + "😀"), "x".repeat(199));
  // A cut that ends on a dot is trimmed again.
  assert.equal(sanitizeFileName("a".repeat(199) + ".bcd"), "a".repeat(199));
});

Deno.test("truncateUtf8() cuts between code points", () => {
  assert.equal(truncateUtf8("aé", 2), "a");
  assert.equal(truncateUtf8("aé", 3), "aé");
  assert.equal(truncateUtf8("", 0), "");
});

Deno.test("collisionName() inserts -n before the extension", () => {
  assert.equal(collisionName("report.pdf", 0), "report.pdf");
  assert.equal(collisionName("report.pdf", 1), "report-1.pdf");
  assert.equal(collisionName("report.pdf", 2), "report-2.pdf");
  assert.equal(collisionName("archive.tar.gz", 1), "archive.tar-1.gz");
  assert.equal(collisionName("README", 3), "README-3");
  assert.equal(collisionName("_CON.txt", 1), "_CON-1.txt");
});

Deno.test("collisionName() keeps the result within 200 bytes", () => {
  const name = "b".repeat(196) + ".txt";
  const out = collisionName(name, 12);
  assert.equal(utf8Length(out), STORED_NAME_MAX_BYTES);
  assert.ok(out.endsWith("-12.txt"));
  const noExt = "c".repeat(200);
  assert.equal(collisionName(noExt, 1), "c".repeat(198) + "-1");
});

Deno.test("sanitizeFileName() output is always one safe, non-hidden component", () => {
  const samples = ["../..", "a/b\\..\\c", "\\\\server\\share\\x", "\u0000", " ", "..\u0000..", "a".repeat(1000)];
  for (const s of samples) {
    const out = sanitizeFileName(s);
    assert.ok(out.length > 0);
    assert.ok(!out.includes("/") && !out.includes("\\"), out);
    assert.ok(!out.startsWith("."), out);
    assert.ok(utf8Length(out) <= STORED_NAME_MAX_BYTES, out);
  }
});

// Human output helpers of CLI.md §1.3: tables with capitalised headers and two-space gaps (an empty list is one
// sentence), SI sizes, `YYYY-MM-DD HH:MM:SS` UTC times, and `HH:MM:SS` uptimes.

const COLUMN_GAP = "  ";
const SI_UNITS = ["B", "KB", "MB", "GB", "TB", "PB"] as const;
const SI_STEP = 1000;
/** Below this, one decimal is shown (`1.2 MB`); from it on, none (`845 KB`). */
const SI_DECIMAL_BELOW = 100;

/**
 * A table: headers upper-cased, columns padded to their widest cell plus two spaces, no trailing spaces.
 * With no rows, `empty` is returned instead (`No pending requests`).
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number | null)[])[],
  empty: string,
): string {
  if (rows.length === 0) return empty;
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map((c) => c === null ? "-" : String(c)))];
  const widths = headers.map((_, col) => Math.max(...cells.map((r) => (r[col] ?? "").length)));
  return cells.map((r) =>
    r.map((c, col) => col === r.length - 1 ? c : c.padEnd(widths[col])).join(COLUMN_GAP).trimEnd()
  ).join("\n");
}

/** SI size: `512 B`, `1.2 MB`, `845 KB`. */
export function formatSize(bytes: number): string {
  if (bytes < SI_STEP) return `${Math.max(0, Math.round(bytes))} B`;
  let value = bytes;
  let unit = 0;
  while (unit < SI_UNITS.length - 1 && Number(value.toFixed(value < SI_DECIMAL_BELOW ? 1 : 0)) >= SI_STEP) {
    value /= SI_STEP;
    unit++;
  }
  return `${value.toFixed(value < SI_DECIMAL_BELOW ? 1 : 0)} ${SI_UNITS[unit]}`;
}

function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, from unix ms, a Date, or an RFC 3339 string. */
export function formatTime(time: number | string | Date): string {
  const d = time instanceof Date ? time : new Date(time);
  if (Number.isNaN(d.getTime())) return String(time);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
}

/** RFC 3339 UTC with milliseconds (`2025-06-01T12:00:01.123Z`), the `--json` form of times. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

/** `HH:MM:SS` (hours grow past 99 as needed): uptimes. */
export function formatClock(totalSecs: number): string {
  const secs = Math.max(0, Math.floor(totalSecs));
  return `${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor(secs / 60) % 60)}:${pad2(secs % 60)}`;
}

/** Display helpers. Times are shown in UTC so pages (and screenshots) read the same everywhere. */

/** `2026-05-03 14:22:05 UTC` for a time in ms since the epoch. */
export function formatTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** `2026-05-03 14:22:05` (UTC) for tables whose heading says UTC. */
export function formatTableTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A duration in ms as `12 h`, `1 h 04 min`, `5 min`, `29 min 58 s` or `42 s`; never negative. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  if (hours > 0) return minutes === 0 ? `${hours} h` : `${hours} h ${String(minutes).padStart(2, '0')} min`;
  if (minutes > 0) return seconds === 0 ? `${minutes} min` : `${minutes} min ${String(seconds).padStart(2, '0')} s`;
  return `${seconds} s`;
}

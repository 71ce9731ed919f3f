/** Byte sizes as operators write them: `512kb`, `4mb`, `1gb`, or a bare byte count. Binary multiples. */
const UNIT_BYTES: Record<string, number> = { b: 1, kb: 1024, k: 1024, mb: 1024 ** 2, m: 1024 ** 2, gb: 1024 ** 3, g: 1024 ** 3 };

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb?|mb?|gb?)?$/;

export const SIZE_FORMAT = 'a size such as 65536, 512kb, 4mb or 1gb';

export function parseSize(text: string): number | undefined {
  const match = SIZE.exec(text.trim().toLowerCase().replace(/ib$/, 'b'));
  if (!match) return undefined;
  const value = Math.floor(Number(match[1]) * (UNIT_BYTES[match[2] ?? 'b'] ?? 1));
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

export function formatSize(bytes: number): string {
  if (bytes <= 0) return String(bytes);
  if (bytes % 1024 ** 3 === 0) return `${bytes / 1024 ** 3}gb`;
  if (bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}mb`;
  if (bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return String(bytes);
}

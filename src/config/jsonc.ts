/**
 * JSON with comments and trailing commas, as VS Code writes `mcp.json` (JSONC): `//` and `/* *\/`
 * comments and a comma before `}` or `]` are blanked out, keeping every offset, then the text is
 * parsed as JSON. A syntax error says its line and column.
 */

export type JsoncResult = { ok: true; value: unknown } | { ok: false; line: number; column: number; message: string };

/** The text with comments and trailing commas replaced by spaces (newlines kept), offsets unchanged. */
export function blankJsonc(text: string): string {
  const out = text.split('');
  let i = 0;
  let lastComma = -1;
  const blank = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (out[k] !== '\n' && out[k] !== '\r') out[k] = ' ';
  };
  while (i < text.length) {
    const char = text[i] as string;
    if (char === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      lastComma = -1;
    } else if (char === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (char === ',') {
      lastComma = i++;
    } else if (char === '}' || char === ']') {
      if (lastComma !== -1) out[lastComma] = ' ';
      lastComma = -1;
      i++;
    } else {
      if (!/\s/.test(char)) lastComma = -1;
      i++;
    }
  }
  return out.join('');
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

export function parseJsonc(text: string): JsoncResult {
  const blanked = blankJsonc(text.replace(/^\uFEFF/, ''));
  try {
    return { ok: true, value: JSON.parse(blanked) as unknown };
  } catch (error) {
    const message = (error as Error).message;
    // V8 says "... at position N" (Node 20) or "... (line L column C)" (newer).
    const lineColumn = /line (\d+) column (\d+)/.exec(message);
    if (lineColumn) return { ok: false, line: Number(lineColumn[1]), column: Number(lineColumn[2]), message: message.replace(/\s*\(line \d+ column \d+\)/, '') };
    const position = /at position (\d+)/.exec(message);
    const offset = position ? Number(position[1]) : blanked.length;
    return { ok: false, ...lineAndColumn(blanked, offset), message: message.replace(/\s*at position \d+.*$/, '') };
  }
}

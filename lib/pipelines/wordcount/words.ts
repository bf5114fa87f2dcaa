import pl from "nodejs-polars";

/**
 * Lower-case words of a line: split on anything that is not a letter, digit or apostrophe
 * (the lecture's Kafka Streams `split("\\W+")`, Unicode-aware so "café" stays one word).
 *
 * @example
 * splitWords("To be, or NOT to be"); // ["to", "be", "or", "not", "to", "be"]
 */
export function splitWords(line: string): string[] {
  return line.toLowerCase().split(/[^\p{L}\p{N}']+/u).map((w) => w.replace(/^'+|'+$/g, "")).filter((w) => w !== "");
}

/** A frame of lines (`line` column) → one row per word (`word` column); the query's stateless step. */
export function linesToWords(frame: pl.DataFrame): pl.DataFrame {
  const lines = frame.height === 0 ? [] : (frame.getColumn("line").toArray() as Array<string | null>);
  return pl.DataFrame({ word: pl.Series("word", lines.flatMap((l) => (l === null ? [] : splitWords(l))), pl.Utf8) });
}

/**
 * Batch reference: the count of each word over all lines, sorted by word.
 *
 * @example
 * batchWordCount(["a b", "A"]); // [{ word: "a", count: 2 }, { word: "b", count: 1 }]
 */
export function batchWordCount(lines: string[]): Array<{ word: string; count: number }> {
  const counts = new Map<string, number>();
  for (const line of lines) for (const w of splitWords(line)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([word, count]) => ({ word, count }));
}

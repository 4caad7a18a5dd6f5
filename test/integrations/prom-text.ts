/** A small reader of the Prometheus text exposition format, for asserting on scrapes. */

/** One sample line: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

// The label block must be a list of label="value" pairs and nothing else: a line such as
// `name{a="1"}{b="2"} 1` is not a sample.
const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses every sample of a scrape; comments (`# HELP`, `# TYPE`) are skipped. */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match === null) throw new Error(`Not a sample line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      // One pass, left to right: `\\n` is a backslash and an n, not a newline.
      labels[key!] = raw!.replace(/\\(.)/g, (_, escaped: string) => (escaped === 'n' ? '\n' : escaped));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample with exactly these labels; throws when there is none. */
export function valueOf(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  const found = samples.find((sample) =>
    sample.name === name &&
    Object.keys(sample.labels).length === wanted.length &&
    wanted.every(([key, value]) => sample.labels[key] === value));
  if (found === undefined) throw new Error(`No sample ${name}${JSON.stringify(labels)}`);
  return found.value;
}

/** Whether any sample of that metric name exists. */
export function hasMetric(samples: readonly Sample[], name: string): boolean {
  return samples.some((sample) => sample.name === name || sample.name.startsWith(`${name}_`));
}

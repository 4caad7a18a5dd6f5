/**
 * A metric that prom-client's registry collects like its own, whose series are read from plain
 * records when the registry asks (`registry.metrics()` calls `getForPromString()`,
 * `registry.getMetricsAsJSON()` calls `get()`; see prom-client's lib/registry.js). Nothing is
 * kept between scrapes: the records are the state, this object only lists them.
 *
 * WHY lines come pre-rendered. prom-client's registry formats each line from label objects
 * (entries, three escapes per value, two arrays): ~1.5 µs a line, 70 ms for the ~47k lines of
 * 1,000 jobs. Our label objects live as long as the records, so their text is rendered once and
 * kept (a WeakMap by object); a line is handed to the registry as a metric name that already
 * carries its labels, with no label objects left to format. The registry writes
 * `${metricName}${labels} ${value}`, so this holds as long as nothing is added to a line: not with
 * default labels on the registry, nor for counters of an OpenMetrics registry (which appends
 * `_total` to the name) — those get the plain label objects, formatted by the registry.
 */
import type { Metric } from 'prom-client';
import type { Labels } from './metric-records.js';

/** The metric types prom-client's text format knows that we use. */
export type CollectedType = 'counter' | 'gauge' | 'histogram';

/**
 * One line of a metric, as prom-client's registry formats it: `metricName{labels,sharedLabels} value`.
 * Label objects are shared between scrapes (never mutated), so prom-client's cache of flattened
 * shared labels holds.
 */
export interface CollectedValue {
  readonly value: number;
  readonly labels: Labels;
  readonly sharedLabels?: Labels;
  readonly metricName?: string;
}

/** What `getForPromString()` and `get()` return. */
export interface CollectedData {
  readonly name: string;
  readonly help: string;
  readonly type: CollectedType;
  readonly values: readonly CollectedValue[];
  readonly aggregator: 'sum';
}

/** A metric of the registry whose series `read()` lists at each collection. */
export class CollectedMetric {
  /** Not readonly: an OpenMetrics registry renames counters (drops `_total`) when it collects them. */
  name: string;
  readonly help: string;
  readonly type: CollectedType;
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum' as const;
  readonly #read: () => readonly CollectedValue[];
  readonly #preRender: (type: CollectedType) => boolean;

  /** `preRender(type)` says whether the registry would write a line as given (see the header). */
  constructor(name: string, help: string, type: CollectedType, labelNames: readonly string[], read: () => readonly CollectedValue[], preRender: (type: CollectedType) => boolean) {
    this.name = name;
    this.help = help;
    this.type = type;
    this.labelNames = labelNames;
    this.#read = read;
    this.#preRender = preRender;
  }

  /** The series for `registry.metrics()`: pre-rendered lines when the registry writes them as they are. */
  getForPromString(): CollectedData {
    const values = this.#read();
    const data = { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
    if (!this.#preRender(this.type)) return data;
    const lines = new Array<CollectedValue>(values.length);
    for (let index = 0; index < values.length; index++) {
      const { value, labels, sharedLabels, metricName = this.name } = values[index]!;
      const own = labelText(labels);
      const shared = sharedLabels === undefined ? '' : labelText(sharedLabels);
      const text = own === '' ? shared : shared === '' ? own : `${own},${shared}`;
      lines[index] = { value, labels: NO_LABELS, sharedLabels: NO_LABELS, metricName: text === '' ? metricName : `${metricName}{${text}}` };
    }
    return { ...data, values: lines };
  }

  /** The series with all their labels in `labels`, as prom-client's own metrics give them to `getMetricsAsJSON()`. */
  get(): Promise<CollectedData> {
    const values = this.#read().map(({ value, labels, sharedLabels, metricName }) =>
      ({ value, labels: sharedLabels === undefined ? labels : { ...labels, ...sharedLabels }, ...(metricName === undefined ? {} : { metricName }) }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /**
   * `registry.resetMetrics()` has nothing to clear: the values are the scheduler's counts since
   * registration, read again at the next collection (a counter never goes back while registered).
   */
  reset(): void {}

  /** Registers it; the registry's type names only prom-client's own classes, which this one stands in for. */
  registerIn(registry: { registerMetric(metric: Metric): void }): void {
    registry.registerMetric(this as unknown as Metric);
  }
}

/** The same object every time: prom-client caches the text of shared labels by object. */
const NO_LABELS: Labels = {};

const renderedLabels = new WeakMap<Labels, string>();

/** `k="v",k2="v2"`, escaped as prom-client escapes label values; kept for as long as the object lives. */
function labelText(labels: Labels): string {
  let text = renderedLabels.get(labels);
  if (text === undefined) {
    text = Object.entries(labels).map(([key, value]) => `${key}="${typeof value === 'string' ? escapeLabelValue(value) : value}"`).join(',');
    renderedLabels.set(labels, text);
  }
  return text;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * A metric that prom-client's registry collects like its own, whose series are read from plain
 * records when the registry asks (`registry.metrics()` and `getSingleMetricAsString()` call
 * `getForPromString()`, `registry.getMetricsAsJSON()` calls `get()`; see prom-client's
 * lib/registry.js). Nothing is kept between scrapes: the records are the state, this object only
 * lists them.
 *
 * WHY each line's labels are its `sharedLabels`. prom-client's registry formats a line's `labels`
 * afresh at every scrape (entries, three escapes per value, two arrays: ~1.5 µs a line), but
 * flattens `sharedLabels` once per object and keeps the text (a WeakMap in lib/registry.js). Our
 * label objects live as long as the records, so a line hands its labels over as `sharedLabels`,
 * with an empty `labels`: the registry formats each series once and reuses the text, and still
 * does everything else itself, whichever registry collects us (merged ones included): escaping,
 * default labels (which it adds to `labels`, and which a label of ours of the same name overrides,
 * as with its own metrics), and the `_total` an OpenMetrics registry appends to counters.
 * A histogram's bucket lines too: each record keeps one label object per bucket (`le` first, as
 * prom-client's own histograms write it), made at the first scrape: with `le` left in `labels`,
 * formatted at every scrape, a scrape of 250 jobs was slower still (most of its lines are
 * buckets). Against lines pre-rendered into `metricName`, which went wrong as soon as a registry
 * added to a line (a merged one with default labels, or set to OpenMetrics), a scrape costs
 * 25-40 % more, side by side on a shared machine.
 */
import type { Metric } from 'prom-client';
import type { Labels } from './metric-records.js';

/** The metric types prom-client's text format knows that we use. */
export type CollectedType = 'counter' | 'gauge' | 'histogram';

/** How prom-client's `AggregatorRegistry` combines the workers' values of a metric. */
export type CollectedAggregator = 'sum' | 'min' | 'average';

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
  readonly aggregator: CollectedAggregator;
}

/** What a {@link CollectedMetric} is made of. */
export interface CollectedMetricSpec {
  readonly name: string;
  readonly help: string;
  readonly type: CollectedType;
  readonly labelNames: readonly string[];
  /** The series, read at each collection. */
  readonly read: () => readonly CollectedValue[];
  /** What `registry.resetMetrics()` does to it; nothing by default (a gauge read live). */
  readonly reset?: () => void;
  /** @default 'sum' */
  readonly aggregator?: CollectedAggregator;
}

/** A metric of the registry whose series `read()` lists at each collection. */
export class CollectedMetric {
  /** Not readonly: an OpenMetrics registry renames counters (drops `_total`) when it collects them. */
  name: string;
  readonly help: string;
  readonly type: CollectedType;
  readonly labelNames: readonly string[];
  readonly aggregator: CollectedAggregator;
  readonly #read: () => readonly CollectedValue[];
  readonly #reset: () => void;

  constructor(spec: CollectedMetricSpec) {
    this.name = spec.name;
    this.help = spec.help;
    this.type = spec.type;
    this.labelNames = spec.labelNames;
    this.aggregator = spec.aggregator ?? 'sum';
    this.#read = spec.read;
    this.#reset = spec.reset ?? noop;
  }

  /** The series for `registry.metrics()`, as read: the registry formats them (see the header). */
  getForPromString(): CollectedData {
    return { name: this.name, help: this.help, type: this.type, values: this.#read(), aggregator: this.aggregator };
  }

  /** The series with all their labels in `labels`, as prom-client's own metrics give them to `getMetricsAsJSON()`. */
  get(): Promise<CollectedData> {
    const values = this.#read().map(({ value, labels, sharedLabels, metricName }) =>
      ({ value, labels: sharedLabels === undefined ? labels : { ...labels, ...sharedLabels }, ...(metricName === undefined ? {} : { metricName }) }));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** Called by `registry.resetMetrics()`: zeroes what the metric counted, as prom-client's own `reset()` does. */
  reset(): void {
    this.#reset();
  }

  /** Registers it; the registry's type names only prom-client's own classes, which this one stands in for. */
  registerIn(registry: { registerMetric(metric: Metric): void }): void {
    registry.registerMetric(this as unknown as Metric);
  }
}

function noop(): void {}

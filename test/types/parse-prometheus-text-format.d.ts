/**
 * Types for parse-prometheus-text-format 1.1.1, which ships none: the parts test/helpers/exposition.ts
 * reads. Values stay the strings of the text; a family without TYPE is 'UNTYPED', without HELP ''.
 */
declare module 'parse-prometheus-text-format' {
  namespace parsePrometheusTextFormat {
    interface Sample {
      value?: string;
      labels?: Record<string, string>;
      timestamp_ms?: string;
    }

    interface MetricFamily {
      name: string;
      help: string;
      /** The TYPE word upper-cased: COUNTER, GAUGE, HISTOGRAM, SUMMARY, UNTYPED, or whatever the text said. */
      type: string;
      /** Histogram and summary families come back folded (buckets, quantiles, sum, count). */
      metrics: Sample[];
    }
  }

  /** Parses a text exposition into its families; throws on a line it cannot read. */
  function parsePrometheusTextFormat(text: string): parsePrometheusTextFormat.MetricFamily[];
  export = parsePrometheusTextFormat;
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface MetricSources {
  queueWaiting: () => number
  queueActive: () => number
  queueMax: () => number
  mediaWaiting: () => number
  mediaActive: () => number
  openStreams: () => number
  openJsonRuns: () => number
}

/**
 * The Prometheus metrics of api.md §6, in a registry of their own (never prom-client's
 * global one, so two apps in one process, as in tests, do not collide). Gauges read their
 * sources when scraped; counters and histograms are fed by the queue, the Ollama client
 * and the routes.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly queueWait: Histogram
  readonly upstreamRequests: Counter
  readonly upstreamTtft: Histogram
  readonly runs: Counter
  readonly abortedRuns: Counter

  constructor (sources: MetricSources) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry, prefix: 'artsed_' })
    const gauge = (name: string, help: string, read: () => number): void => {
      // eslint-disable-next-line no-new
      new Gauge({ name, help, registers, collect () { this.set(read()) } })
    }
    gauge('artsed_queue_waiting', 'Runs waiting for a model slot', sources.queueWaiting)
    gauge('artsed_queue_active_slots', 'Model slots in use', sources.queueActive)
    gauge('artsed_queue_max_concurrent', 'Model slots in all (QUEUE_MAX_CONCURRENT)', sources.queueMax)
    gauge('artsed_media_queue_waiting', 'Runs waiting for a media slot', sources.mediaWaiting)
    gauge('artsed_media_queue_active_slots', 'Media slots in use', sources.mediaActive)
    gauge('artsed_sse_open_streams', 'Open Server-Sent Events streams', sources.openStreams)
    gauge('artsed_json_runs_open', 'JSON runs waiting for their answer', sources.openJsonRuns)
    this.queueWait = new Histogram({
      name: 'artsed_queue_wait_seconds',
      help: 'Time a run waited for its model slot',
      buckets: [0.01, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600],
      registers
    })
    this.upstreamRequests = new Counter({
      name: 'artsed_upstream_requests_total',
      help: 'Streamed model calls to Ollama, by how they ended (ok or the error code)',
      labelNames: ['outcome'],
      registers
    })
    this.upstreamTtft = new Histogram({
      name: 'artsed_upstream_time_to_first_token_seconds',
      help: 'Time from sending a model call to its first streamed line',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers
    })
    this.runs = new Counter({
      name: 'artsed_runs_total',
      help: 'Runs by mode (stream, json) and outcome (completed, blocked, error, aborted)',
      labelNames: ['mode', 'outcome'],
      registers
    })
    this.abortedRuns = new Counter({
      name: 'artsed_runs_aborted_total',
      help: 'Runs whose client left before they ended',
      registers
    })
  }

  run (mode: 'stream' | 'json', outcome: string): void {
    this.runs.inc({ mode, outcome })
    if (outcome === 'aborted') this.abortedRuns.inc()
  }
}

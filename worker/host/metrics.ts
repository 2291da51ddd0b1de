import { Counter, Gauge, Registry } from 'prom-client';

/** The worker's Prometheus metrics, on a registry of its own (several workers can run in one process). */
export class WorkerMetrics {
    readonly registry = new Registry();
    readonly requests = new Counter({
        name: 'cocoon_worker_requests_total',
        help: 'Requests by outcome (served, cached, refused)',
        labelNames: ['outcome'],
        registers: [this.registry],
    });
    readonly tokens = new Counter({
        name: 'cocoon_worker_tokens_total',
        help: 'Tokens served by direction',
        labelNames: ['direction'],
        registers: [this.registry],
    });
    readonly refusals = new Counter({
        name: 'cocoon_worker_refusals_total',
        help: 'Refused requests by code',
        labelNames: ['code'],
        registers: [this.registry],
    });
    readonly claims = new Counter({
        name: 'cocoon_worker_claims_total',
        help: 'Claims sent by route and finality',
        labelNames: ['via', 'final'],
        registers: [this.registry],
    });
    readonly earnings = new Counter({
        name: 'cocoon_worker_claimed_nanoton_total',
        help: 'Value claimed (charged to orders), nanoTON (before the protocol fee)',
        registers: [this.registry],
    });
    readonly payouts = new Counter({
        name: 'cocoon_worker_payouts_total',
        help: 'OrderPayout requests sent (held earnings forwarded to the Provider before settlement)',
        registers: [this.registry],
    });
    readonly attestedUntil = new Gauge({
        name: 'cocoon_worker_attested_until_seconds',
        help: 'The Provider attestedUntil, unix seconds',
        registers: [this.registry],
    });
}

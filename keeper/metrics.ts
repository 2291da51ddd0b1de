/** Prometheus metrics of one keeper (own registry, so several keepers in one process do not collide). */
import { Counter, Gauge, Registry } from 'prom-client';

export class KeeperMetrics {
    readonly registry = new Registry();
    readonly ordersSeen = new Gauge({
        name: 'cocoon_keeper_orders_seen',
        help: 'Orders indexed',
        registers: [this.registry],
    });
    readonly matchesSent = new Counter({
        name: 'cocoon_keeper_matches_sent_total',
        help: 'MatchOrder messages sent',
        registers: [this.registry],
    });
    readonly matched = new Counter({
        name: 'cocoon_keeper_matched_total',
        help: 'Matches won (MatchFeePaid received)',
        registers: [this.registry],
    });
    readonly matchRefused = new Counter({
        name: 'cocoon_keeper_match_refused_total',
        help: 'Matches refused (value returned)',
        registers: [this.registry],
    });
    readonly expired = new Counter({
        name: 'cocoon_keeper_timeouts_sent_total',
        help: 'Timeout messages sent',
        registers: [this.registry],
    });
    readonly relays = new Counter({
        name: 'cocoon_keeper_relays_sent_total',
        help: 'RelayRevocation messages sent',
        registers: [this.registry],
    });
    readonly gasSpent = new Gauge({
        name: 'cocoon_keeper_gas_spent_nanoton',
        help: 'nanoTON the keeper wallet spent net of fees earned, plus fees earned',
        registers: [this.registry],
    });
    readonly feesEarned = new Gauge({
        name: 'cocoon_keeper_fees_earned_nanoton',
        help: 'Match fees earned, nanoTON',
        registers: [this.registry],
    });
    readonly lag = new Gauge({
        name: 'cocoon_keeper_lag_seconds',
        help: 'Seconds between now and the last completed sync',
        registers: [this.registry],
    });
    readonly quotesCertified = new Counter({
        name: 'cocoon_keeper_quotes_certified_total',
        help: 'Quotes certified',
        registers: [this.registry],
    });
    readonly quotesRefused = new Counter({
        name: 'cocoon_keeper_quotes_refused_total',
        help: 'Quotes refused',
        registers: [this.registry],
    });
    readonly errors = new Counter({
        name: 'cocoon_keeper_loop_errors_total',
        help: 'Failed loop passes',
        registers: [this.registry],
    });
}

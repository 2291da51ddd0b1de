/**
 * In-memory replay guard: the highest seqno this enclave served per order, and which order has a request in
 * flight. The enclave needs no state to be safe (the client-signed chain of seqno, transcript and last receipt
 * does that; a host that restarts the enclave to re-run a request is caught by the client's Dispute), but
 * within one boot this refuses a replayed or concurrent request outright instead of issuing a second receipt.
 * Bounded: the oldest orders are forgotten first (a forgotten order falls back to the stateless checks).
 */
export class ReplayGuard {
    private served = new Map<string, number>();
    private inFlight = new Set<string>();

    constructor(private readonly maxOrders = 100_000) {}

    /** Reserves (order, seqno); returns the reason it cannot, or null once reserved. */
    reserve(order: string, seqno: number): 'REPLAYED_REQUEST' | 'REQUEST_IN_FLIGHT' | null {
        if (this.inFlight.has(order)) return 'REQUEST_IN_FLIGHT';
        const last = this.served.get(order);
        if (last !== undefined && seqno <= last) return 'REPLAYED_REQUEST';
        this.inFlight.add(order);
        return null;
    }

    /** The request was answered and a receipt issued. */
    commit(order: string, seqno: number): void {
        this.inFlight.delete(order);
        this.served.delete(order); // re-insert so Map order is least recently served first
        this.served.set(order, seqno);
        while (this.served.size > this.maxOrders) this.served.delete(this.served.keys().next().value as string);
    }

    /** The request was refused or failed: nothing was issued, the seqno stays usable. */
    release(order: string): void {
        this.inFlight.delete(order);
    }
}

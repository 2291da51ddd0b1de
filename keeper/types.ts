/**
 * The keeper's view of the market, JSON-ready (coins and ids as decimal strings, hashes as hex, addresses in
 * raw form `0:<hex>`): the same shapes go into SQLite, out of the HTTP API and into the client SDK, so there
 * is one encoding of the book.
 */
export interface OrderView {
    id: string;
    address: string;
    state: number;
    stateName: string;
    client: string;
    clientKey: string;
    model: string;
    budget: string;
    maxPriceIn: string;
    maxPriceOut: string;
    matchBy: number;
    firstReceiptWindow: number;
    expiresAt: number;
    matched: boolean;
    providerOwner: string | null;
    provider: string | null;
    keeper: string | null;
    priceIn: string;
    priceOut: string;
    matchedAt: number;
    firstReceiptBy: number;
    seqno: number;
    paid: string;
    closeAt: number;
    /** From the order's own config (frozen at creation): the Timeout deadlines depend on it. */
    closeGrace: number;
    matchFee: string;
}

export interface AskView {
    priceIn: string;
    priceOut: string;
}

export interface ProviderView {
    owner: string;
    address: string;
    status: number;
    statusName: string;
    paused: boolean;
    stake: string;
    measurement: string;
    /** Whether the Registry marks this measurement revoked (then a revocation relay is due if still active). */
    measurementRevoked: boolean;
    enclaveKey: string;
    x25519Key: string;
    attestedUntil: number;
    tcbStatus: number;
    capacity: number;
    live: number;
    endpoint: string;
    registeredAt: number;
    /** model hash (hex) -> the ask a keeper should quote now */
    asks: Record<string, AskView>;
}

export interface MarketModelView {
    model: string;
    bestAsk: (AskView & { provider: string }) | null;
    bestBid: (AskView & { order: string }) | null;
    lastClearing: (AskView & { order: string; at: number }) | null;
    matchedOrders: number;
    openOrders: number;
    /** Sum of budgets of orders that were matched, nanoTON. */
    matchedBudget: string;
    /** Sum of what matched orders paid their providers so far, nanoTON. */
    paid: string;
}

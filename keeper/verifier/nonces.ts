/**
 * Recent masterchain block hashes with the time this verifier first saw each: a quote's nonce must be one of
 * them and younger than the maximum attestation age. Blocks skipped between two looks are filled in by seqno
 * (bounded), so a worker that read block N while we last saw N-3 is not refused for our polling gap.
 */
import { Chain } from '../chain/chain';

export class NonceCache {
    private readonly seen = new Map<string, { seqno: number; at: number }>();
    private lastSeqno = -1;

    constructor(
        private readonly chain: Chain,
        private readonly maxEntries = 20_000,
        private readonly maxGapFill = 64,
    ) {}

    /** Records the current head (and the gap since the last look). */
    async refresh(nowMs = Date.now()): Promise<void> {
        const head = await this.chain.masterchainHead();
        if (this.lastSeqno >= 0 && head.seqno > this.lastSeqno + 1) {
            const from = Math.max(this.lastSeqno + 1, head.seqno - this.maxGapFill);
            for (let s = from; s < head.seqno; s++) {
                const b = await this.chain.masterchainBlock(s);
                if (b) this.add(b.rootHash, b.seqno, nowMs);
            }
        }
        this.add(head.rootHash, head.seqno, nowMs);
        this.lastSeqno = Math.max(this.lastSeqno, head.seqno);
    }

    add(hash: Buffer, seqno: number, atMs: number): void {
        const k = hash.toString('hex');
        if (!this.seen.has(k)) this.seen.set(k, { seqno, at: atMs });
        while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value as string);
    }

    /** ms since first seen, or undefined when unknown. */
    ageMs(hash: Buffer, nowMs = Date.now()): number | undefined {
        const e = this.seen.get(hash.toString('hex'));
        return e ? nowMs - e.at : undefined;
    }
}

/**
 * Masterchain block numbering for a chain that has no blocks.
 *
 * The sandbox executes messages immediately and has no notion of blocks, but clients need a growing
 * masterchain seqno (to wait for "the next block") and workers use the latest block hash as an
 * attestation nonce. Each block hash is sha256(previous hash || seqno), so hashes look random, are
 * unpredictable before the block exists, and are reproducible from the genesis hash.
 */
import { createHash } from 'crypto';

export type BlockRef = {
    seqno: number;
    /** 32 bytes; plays the masterchain block's root hash. */
    rootHash: Buffer;
    fileHash: Buffer;
    /** Unix seconds at which the block was produced (wall clock). */
    utime: number;
};

export type ChainClockState = {
    genesisHash: string;
    genesisUtime: number;
    /** Recent blocks, oldest first, hex hashes. The last one is the current block. */
    recent: { seqno: number; hash: string; utime: number }[];
    /** Older blocks that hold transactions: kept so getBlockTransactions answers for them forever. */
    pinned: { seqno: number; hash: string; utime: number }[];
};

function sha256(...parts: Buffer[]): Buffer {
    const h = createHash('sha256');
    for (const p of parts) {
        h.update(p);
    }
    return h.digest();
}

function seqnoBytes(seqno: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(seqno);
    return b;
}

/** file_hash is a separate value on a real chain; derive it so it is stable and differs from root_hash. */
function fileHashOf(rootHash: Buffer): Buffer {
    return sha256(Buffer.from('file'), rootHash);
}

/** The basechain shard block produced together with masterchain block `mc`. */
export function shardBlockOf(mc: BlockRef): BlockRef {
    const rootHash = sha256(Buffer.from('shard:0'), mc.rootHash);
    return { seqno: mc.seqno, rootHash, fileHash: fileHashOf(rootHash), utime: mc.utime };
}

export class ChainClock {
    private readonly recent: BlockRef[] = [];
    private readonly pinned = new Map<number, BlockRef>();
    readonly genesis: BlockRef;

    /**
     * @param historySize how many recent blocks stay resolvable by seqno (older empty blocks are
     *   forgotten; blocks with transactions are pinned).
     */
    constructor(
        private readonly historySize = 10_000,
        state?: ChainClockState,
        genesisSeed = 'cocoon-localnet',
    ) {
        if (state) {
            const genesisHash = Buffer.from(state.genesisHash, 'hex');
            this.genesis = {
                seqno: 0,
                rootHash: genesisHash,
                fileHash: fileHashOf(genesisHash),
                utime: state.genesisUtime,
            };
            for (const b of state.pinned) {
                this.pinned.set(b.seqno, ChainClock.fromSaved(b));
            }
            for (const b of state.recent) {
                this.recent.push(ChainClock.fromSaved(b));
            }
        } else {
            const rootHash = sha256(Buffer.from('cocoon-localnet/genesis:' + genesisSeed));
            this.genesis = { seqno: 0, rootHash, fileHash: fileHashOf(rootHash), utime: nowSeconds() };
            this.recent.push(this.genesis);
        }
    }

    private static fromSaved(b: { seqno: number; hash: string; utime: number }): BlockRef {
        const rootHash = Buffer.from(b.hash, 'hex');
        return { seqno: b.seqno, rootHash, fileHash: fileHashOf(rootHash), utime: b.utime };
    }

    get latest(): BlockRef {
        return this.recent[this.recent.length - 1];
    }

    /** Produces the next block. */
    advance(): BlockRef {
        const prev = this.latest;
        const seqno = prev.seqno + 1;
        const rootHash = sha256(prev.rootHash, seqnoBytes(seqno));
        const block = { seqno, rootHash, fileHash: fileHashOf(rootHash), utime: nowSeconds() };
        this.recent.push(block);
        if (this.recent.length > this.historySize) {
            this.recent.shift();
        }
        return block;
    }

    /** Keeps a block resolvable after it leaves the recent window (it holds transactions). */
    pin(block: BlockRef): void {
        this.pinned.set(block.seqno, block);
    }

    block(seqno: number): BlockRef | undefined {
        if (seqno === 0) {
            return this.genesis;
        }
        const first = this.recent[0].seqno;
        const idx = seqno - first;
        if (idx >= 0 && idx < this.recent.length) {
            return this.recent[idx];
        }
        return this.pinned.get(seqno);
    }

    /** The newest `n` blocks, newest first (the sandbox's PrevBlocksInfo order). */
    lastBlocks(n: number): BlockRef[] {
        return this.recent.slice(-n).reverse();
    }

    toJSON(): ChainClockState {
        const save = (b: BlockRef) => ({ seqno: b.seqno, hash: b.rootHash.toString('hex'), utime: b.utime });
        return {
            genesisHash: this.genesis.rootHash.toString('hex'),
            genesisUtime: this.genesis.utime,
            recent: this.recent.map(save),
            pinned: [...this.pinned.values()].map(save),
        };
    }
}

export function nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
}

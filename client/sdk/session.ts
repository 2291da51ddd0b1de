import { Address } from '@ton/core';
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import type { AcceptedReceipt } from './protocol';

/**
 * What a client keeps per order so a later process (the CLI) can continue the session: the order, its terms,
 * the verified provider keys and every receipt accepted so far. The order's session secret key lives in its own
 * file with mode 0600 and never leaves this machine; only its public key goes on-chain.
 *
 * Layout: <dataDir>/sessions/<order raw address with ':' as '_'>.json and .../<same>.key
 */
const hex32 = z.string().regex(/^[0-9a-f]{64}$/);

export const storedReceiptSchema = z.object({
    seqno: z.number().int().positive(),
    boc: z.string().min(1), // base64 receipt cell
    signature: z.string().min(1), // base64 enclave signature
    tokensIn: z.string().regex(/^\d+$/), // cumulative
    tokensOut: z.string().regex(/^\d+$/),
    transcript: hex32,
    requestHash: hex32,
    at: z.number().int(),
});
export type StoredReceipt = z.infer<typeof storedReceiptSchema>;

/** An accepted receipt as the session file keeps it. */
export function toStoredReceipt(r: AcceptedReceipt, at = Math.floor(Date.now() / 1000)): StoredReceipt {
    return {
        seqno: r.fields.seqno,
        boc: r.cell.toBoc().toString('base64'),
        signature: r.signature.toString('base64'),
        tokensIn: r.fields.tokensIn.toString(),
        tokensOut: r.fields.tokensOut.toString(),
        transcript: r.fields.transcript.toString('hex'),
        requestHash: r.fields.requestHash.toString('hex'),
        at,
    };
}

export const sessionSchema = z.object({
    version: z.literal(1),
    network: z.number().int(),
    registry: z.string(),
    orderBook: z.string(),
    order: z.string(),
    orderId: z.string().regex(/^\d+$/),
    model: hex32,
    clientKey: hex32,
    budget: z.string().regex(/^\d+$/),
    createdAt: z.number().int(),
    matchBy: z.number().int(),
    expiresAt: z.number().int(),
    provider: z
        .object({
            owner: z.string(),
            endpoint: z.string(),
            ed25519Pub: hex32,
            x25519Pub: hex32,
            measurement: hex32,
            tcbStatus: z.string(),
            verifiedAt: z.number().int(),
        })
        .optional(),
    priceIn: z.string().regex(/^\d+$/).optional(),
    priceOut: z.string().regex(/^\d+$/).optional(),
    receipts: z.array(storedReceiptSchema),
    /**
     * The request posted last whose answer has not arrived (lost answer, timeout): kept before it is posted, so
     * the SAME bytes can be posted again and the worker answers from its receipt store (a new request for the
     * same seqno would be REPLAYED_REQUEST). responseKey opens the answer.
     */
    pending: z
        .object({
            seqno: z.number().int().positive(),
            endpoint: z.string(),
            responseKey: z.string().regex(/^[0-9a-f]+$/),
            body: z.object({
                requestBoc: z.string(),
                clientSignature: z.string(),
                payload: z.object({ enc: z.string(), ciphertext: z.string() }),
                lastReceipt: z.object({ boc: z.string(), signature: z.string() }).optional(),
            }),
            at: z.number().int(),
        })
        .optional(),
    closed: z.object({ state: z.string(), refund: z.string().optional(), at: z.number().int() }).optional(),
});
export type SessionData = z.infer<typeof sessionSchema>;

export class SessionStore {
    readonly dir: string;

    constructor(dataDir: string) {
        this.dir = path.join(dataDir, 'sessions');
    }

    private base(order: Address | string): string {
        const a = typeof order === 'string' ? Address.parse(order) : order;
        return path.join(this.dir, a.toRawString().replace(':', '_'));
    }

    /** Writes the session key first (0600, never overwritten): a crash after the send must not lose it. */
    saveKey(order: Address, secretKey: Buffer): void {
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        fs.writeFileSync(`${this.base(order)}.key`, secretKey.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    }

    loadKey(order: Address | string): Buffer {
        const file = `${this.base(order)}.key`;
        const st = fs.statSync(file);
        if ((st.mode & 0o077) !== 0)
            throw new Error(`${file} is readable by others (mode ${(st.mode & 0o777).toString(8)})`);
        const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
        if (key.length !== 64) throw new Error(`${file}: not a 64-byte ed25519 secret key`);
        return key;
    }

    /** Atomic write (temp file + rename). */
    save(s: SessionData): void {
        fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        const file = `${this.base(s.order)}.json`;
        const tmp = `${file}.tmp-${process.pid}`;
        fs.writeFileSync(tmp, JSON.stringify(sessionSchema.parse(s), null, 2), { mode: 0o600 });
        fs.renameSync(tmp, file);
    }

    load(order: Address | string): SessionData | null {
        const file = `${this.base(order)}.json`;
        if (!fs.existsSync(file)) return null;
        return sessionSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
    }

    /** Every session, newest first. */
    list(): SessionData[] {
        if (!fs.existsSync(this.dir)) return [];
        return fs
            .readdirSync(this.dir)
            .filter((f) => f.endsWith('.json'))
            .map((f) => sessionSchema.parse(JSON.parse(fs.readFileSync(path.join(this.dir, f), 'utf8'))))
            .sort((a, b) => b.createdAt - a.createdAt);
    }
}

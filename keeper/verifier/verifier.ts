/**
 * The verifier role: full DCAP verification of a worker's quote (attestation/verifyQuote), then what the
 * library leaves to its caller: the measurement is on the Registry's allowlist now, REPORTDATA binds exactly
 * these keys to (network, registry, provider, nonce), and the nonce is a masterchain block younger than the
 * maximum attestation age. Only then is the AttestCert signed with this verifier's key; every certified quote
 * is published (SQLite, GET /quotes/:hash) so anyone can re-check what was certified.
 */
import { Address } from '@ton/core';
import fs from 'fs';
import { AttestationError, TcbStatus, reportDataMatches, verifyQuote, VerifiedQuote } from '../../attestation';
import { AttestCert, signCert, TCB_STATUS } from '../../wrappers/formats/certificate';
import { newEd25519KeyPair, Ed25519KeyPair, bufferToUint256 } from '../../wrappers/formats/ed25519';
import { Chain } from '../chain/chain';
import { KeeperDb } from '../db';
import { NonceCache } from './nonces';
import { certToJson, VerifyRefusal, VerifyRequest, verifyRequestSchema, VerifyResponse } from './protocol';
import { Trust } from './trust';

export interface VerifierOptions {
    chain: Chain;
    db?: KeeperDb;
    registry: Address;
    network: number;
    key: Ed25519KeyPair;
    index: number;
    trust: Trust;
    allowedTcbStatuses: TcbStatus[];
    /** Seconds; validUntil <= now + this, and the nonce must be younger. */
    maxAttestAge: number;
    nonces: NonceCache;
    /** Verification clock (tests); default the wall clock. */
    now?: () => Date;
}

/** Reads a 32-byte ed25519 seed (hex text or raw bytes). */
export function loadVerifierKey(file: string): Ed25519KeyPair {
    const raw = fs.readFileSync(file);
    const text = raw.toString('utf8').trim();
    const seed = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : raw;
    if (seed.length !== 32)
        throw new Error(`verifier key file ${file}: expected a 32-byte ed25519 seed (64 hex chars)`);
    return newEd25519KeyPair(seed);
}

export class QuoteVerifier {
    constructor(readonly opts: VerifierOptions) {}

    private now(): Date {
        return this.opts.now ? this.opts.now() : new Date();
    }

    /** Certifies or throws VerifyRefusal with a stable code. */
    async verify(body: unknown): Promise<VerifyResponse> {
        const parsed = verifyRequestSchema.safeParse(body);
        if (!parsed.success) {
            throw new VerifyRefusal(
                'BAD_REQUEST',
                parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
                400,
            );
        }
        const req: VerifyRequest = parsed.data;
        let provider: Address;
        try {
            provider = Address.parse(req.provider);
        } catch {
            throw new VerifyRefusal('BAD_REQUEST', 'provider: not a TON address', 400);
        }
        const quote = Buffer.from(req.quote, 'hex');
        const now = this.now();
        let v: VerifiedQuote;
        try {
            const collateral = await this.opts.trust.collateralFor(quote, now);
            v = verifyQuote(quote, {
                collateral,
                now,
                trustedRootDer: this.opts.trust.rootDer,
                policy: { allowedTcbStatuses: this.opts.allowedTcbStatuses },
            });
        } catch (e) {
            if (e instanceof AttestationError) throw new VerifyRefusal(e.code, e.message);
            throw new VerifyRefusal('COLLATERAL', (e as Error).message, 503);
        }
        const nonce = Buffer.from(req.nonce, 'hex');
        const ed25519Pub = Buffer.from(req.ed25519Pub, 'hex');
        const x25519Pub = Buffer.from(req.x25519Pub, 'hex');
        const binding = {
            ed25519Pub,
            x25519Pub,
            network: this.opts.network,
            registry: this.opts.registry,
            provider,
            nonce,
        };
        if (provider.workChain !== 0 || !reportDataMatches(v.reportData, binding)) {
            throw new VerifyRefusal(
                'REPORTDATA',
                'REPORTDATA does not bind these keys to (network, registry, provider, nonce)',
            );
        }
        let age = this.opts.nonces.ageMs(nonce, now.getTime());
        if (age === undefined) {
            await this.opts.nonces.refresh(now.getTime());
            age = this.opts.nonces.ageMs(nonce, now.getTime());
        }
        if (age === undefined) throw new VerifyRefusal('NONCE_UNKNOWN', 'nonce is not a recent masterchain block hash');
        if (age > this.opts.maxAttestAge * 1000) {
            throw new VerifyRefusal(
                'NONCE_TOO_OLD',
                `nonce block is ${Math.round(age / 1000)} s old (max ${this.opts.maxAttestAge} s)`,
            );
        }
        const active = await this.opts.chain.measurementActive(this.opts.registry, bufferToUint256(v.measurement));
        if (!active) {
            throw new VerifyRefusal(
                'MEASUREMENT',
                `measurement ${v.measurement.toString('hex')} is not active on the Registry allowlist`,
            );
        }
        const nowSec = Math.floor(now.getTime() / 1000);
        const validUntil = Math.min(req.validUntil ?? Number.MAX_SAFE_INTEGER, nowSec + this.opts.maxAttestAge);
        if (validUntil <= nowSec) throw new VerifyRefusal('BAD_REQUEST', 'validUntil is in the past', 400);
        const cert: AttestCert = {
            network: this.opts.network,
            validUntil,
            tcbStatus: TCB_STATUS[v.tcbStatus],
            quoteHash: v.quoteHash,
            registry: this.opts.registry,
            provider,
            ed25519Pub,
            x25519Pub,
            measurement: v.measurement,
        };
        const signature = signCert(cert, this.opts.key.secretKey);
        const res: VerifyResponse = {
            index: this.opts.index,
            signature: signature.toString('hex'),
            cert: certToJson(cert),
        };
        this.opts.db?.saveQuote({
            hash: v.quoteHash.toString('hex'),
            quote: req.quote.toLowerCase(),
            measurement: v.measurement.toString('hex'),
            tcbStatus: v.tcbStatus,
            cert: res.cert,
            signature: res.signature,
            verifierIndex: this.opts.index,
            verifiedAt: nowSec,
        });
        return res;
    }
}

/**
 * An in-process verifier for localnet and tests: the same checks and signature a keeper's POST /verify
 * performs, against this machine's development root (simulated TDX quotes) or any trusted root and collateral.
 */
import { Address } from '@ton/core';
import {
    Collateral,
    DevRoot,
    devCollateral,
    reportDataMatches,
    TcbStatus,
    VerifyPolicy,
    verifyQuote,
} from '../../attestation';
import { AttestCert, signCert, TCB_STATUS } from '../../wrappers/formats/certificate';
import {
    certToJson,
    VerifierError,
    Verifier,
    VerifyRequest,
    VerifyResponse,
    verifyRequestSchema,
} from './verifierClient';

export interface LocalVerifierOptions {
    /** This verifier's slot in the Registry. */
    index: number;
    /** ed25519 secret key (64 bytes, @ton/crypto layout) whose public half is registered at `index`. */
    secretKey: Buffer;
    network: number;
    registry: Address;
    /** Max attestation age, seconds (Registry param maxAttestAge): caps validUntil. */
    maxAttestAge: number;
    /** Trust: the dev root (simulated quotes) — collateral is generated from it — or an explicit root+collateral. */
    devRoot?: DevRoot;
    trustedRootDer?: Buffer;
    collateral?: Collateral | Record<string, unknown>;
    policy?: VerifyPolicy;
    /**
     * Is this nonce a recent masterchain block hash? Keepers check it against their chain index; localnet
     * tests pass a function over localnet's blocks. Absent = not checked (tests only).
     */
    isFreshNonce?: (nonce: Buffer) => Promise<boolean> | boolean;
    now?: () => number;
}

export class LocalVerifier implements Verifier {
    private collateral?: Collateral | Record<string, unknown>;

    constructor(private readonly opts: LocalVerifierOptions) {
        this.collateral = opts.collateral;
    }

    get name(): string {
        return `local verifier #${this.opts.index}`;
    }

    async verify(raw: VerifyRequest): Promise<VerifyResponse> {
        const o = this.opts;
        const parsed = verifyRequestSchema.safeParse(raw);
        if (!parsed.success) throw new VerifierError(this.name, 'BAD_REQUEST', parsed.error.message);
        const req = parsed.data;
        let provider: Address;
        try {
            provider = Address.parse(req.provider);
        } catch {
            throw new VerifierError(this.name, 'BAD_REQUEST', 'provider is not an address');
        }
        const nonce = Buffer.from(req.nonce, 'hex');
        if (o.isFreshNonce && !(await o.isFreshNonce(nonce))) {
            throw new VerifierError(this.name, 'STALE_NONCE', 'nonce is not a recent masterchain block hash');
        }
        if (!this.collateral) {
            if (!o.devRoot) throw new Error('LocalVerifier needs devRoot or collateral');
            this.collateral = await devCollateral(o.devRoot);
        }
        const quote = Buffer.from(req.quote, 'hex');
        let verified;
        try {
            verified = verifyQuote(quote, {
                collateral: this.collateral,
                trustedRootDer: o.trustedRootDer ?? o.devRoot?.rootCertDer,
                policy: o.policy,
            });
        } catch (e) {
            const code = (e as { code?: string }).code ?? 'QUOTE_INVALID';
            throw new VerifierError(this.name, code, (e as Error).message);
        }
        const ed25519Pub = Buffer.from(req.ed25519Pub, 'hex');
        const x25519Pub = Buffer.from(req.x25519Pub, 'hex');
        const binds = reportDataMatches(verified.reportData, {
            ed25519Pub,
            x25519Pub,
            network: o.network,
            registry: o.registry,
            provider,
            nonce,
        });
        if (!binds) {
            throw new VerifierError(this.name, 'REPORT_DATA_MISMATCH', 'REPORTDATA does not bind these keys');
        }
        const now = o.now ? o.now() : Math.floor(Date.now() / 1000);
        const cap = now + o.maxAttestAge;
        const cert: AttestCert = {
            network: o.network,
            validUntil: req.validUntil ? Math.min(req.validUntil, cap) : cap,
            tcbStatus: TCB_STATUS[verified.tcbStatus as TcbStatus],
            quoteHash: verified.quoteHash,
            registry: o.registry,
            provider,
            ed25519Pub,
            x25519Pub,
            measurement: verified.measurement,
        };
        return {
            index: o.index,
            signature: signCert(cert, o.secretKey).toString('hex'),
            cert: certToJson(cert),
        };
    }
}

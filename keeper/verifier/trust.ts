/**
 * What a verifier trusts: the root certificate (Intel's, or a development root for localnet) and where
 * collateral comes from (a file, the dev root's own collateral, or a PCCS). Shared by the verifier role and
 * `keeper verify-quote`.
 */
import fs from 'fs';
import path from 'path';
import {
    Collateral,
    INTEL_SGX_ROOT_CA_DER,
    devCollateral,
    fetchCollateralForQuote,
    loadCollateralFile,
    loadOrCreateDevRoot,
    defaultDataDir,
    DevRoot,
    quotePlatform,
} from '../../attestation';

export interface TrustSpec {
    /** "intel", "dev" (default data dir), a dev-root data dir, or a PEM/DER root certificate file. */
    root: string;
    /** Collateral file path, or "dev". */
    collateral?: string;
    pccsUrl?: string;
}

export interface Trust {
    rootDer: Buffer;
    collateralFor(quote: Buffer, now: Date): Promise<Collateral>;
}

async function devRootAt(dir: string): Promise<DevRoot> {
    // Never create a root here: a verifier that silently trusted a fresh root would refuse every worker.
    if (!fs.existsSync(path.join(dir, 'dev-root', 'dev-root.json'))) {
        throw new Error(`no development root under ${dir} (expected ${path.join(dir, 'dev-root', 'dev-root.json')})`);
    }
    return loadOrCreateDevRoot(dir);
}

function readCertFile(file: string): Buffer {
    const raw = fs.readFileSync(file);
    const text = raw.toString('utf8');
    const m = text.match(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/);
    return m ? Buffer.from(m[1].replace(/\s+/g, ''), 'base64') : raw;
}

export async function loadTrust(spec: TrustSpec): Promise<Trust> {
    let rootDer: Buffer;
    let devRoot: DevRoot | undefined;
    if (spec.root === 'intel') {
        rootDer = INTEL_SGX_ROOT_CA_DER;
    } else if (spec.root === 'dev' || (fs.existsSync(spec.root) && fs.statSync(spec.root).isDirectory())) {
        devRoot = await devRootAt(spec.root === 'dev' ? defaultDataDir() : spec.root);
        rootDer = devRoot.rootCertDer;
    } else if (fs.existsSync(spec.root)) {
        rootDer = readCertFile(spec.root);
    } else {
        throw new Error(`trusted root: "${spec.root}" is neither intel, dev, a directory nor a certificate file`);
    }
    let fixed: Collateral | undefined;
    const cache = new Map<string, { at: number; c: Collateral }>();
    if (spec.collateral === 'dev') {
        if (!devRoot) throw new Error('collateral "dev" needs the development root as the trusted root');
        fixed = await devCollateral(devRoot);
    } else if (spec.collateral) {
        fixed = loadCollateralFile(spec.collateral);
    } else if (!spec.pccsUrl) {
        throw new Error('collateral: give a collateral file, "dev", or a PCCS URL');
    }
    return {
        rootDer,
        async collateralFor(quote: Buffer): Promise<Collateral> {
            if (fixed) return fixed;
            // PCCS collateral changes daily at most; a 10-minute cache spares the PCCS one request per quote.
            const { fmspc, ca } = quotePlatform(quote);
            const key = `${fmspc}/${ca}`;
            const hit = cache.get(key);
            if (hit && Date.now() - hit.at < 600_000) return hit.c;
            const c = await fetchCollateralForQuote(quote, { pccsUrl: spec.pccsUrl! });
            cache.set(key, { at: Date.now(), c });
            return c;
        },
    };
}

import * as fs from 'fs';
import {
    Collateral,
    defaultDataDir,
    devCollateral,
    fetchCollateralForQuote,
    loadCollateralFile,
    loadOrCreateDevRoot,
    TcbStatus,
} from '../../attestation';
import type { NetworkName } from '../../wrappers/networks';
import type { TrustConfig } from './attestation';

/**
 * Default trust anchors per network (DESIGN.md "Attestation"): localnet trusts this machine's development
 * root (shared with simulated workers and localnet verifiers) and signs fresh collateral for it; testnet and
 * mainnet trust Intel's SGX root and take collateral from a file or from a PCCS/PCS.
 */
export interface TrustOptions {
    /** Localnet: data dir holding dev-root/ (default the attestation library's default data dir). */
    devRootDir?: string;
    /** DER file of the root to trust instead of the default. */
    rootDerFile?: string;
    /** Collateral JSON file (Intel's shape); otherwise fetched per quote from pccsUrl. */
    collateralFile?: string;
    pccsUrl?: string;
    allowedTcbStatuses?: TcbStatus[];
}

export async function trustFor(network: NetworkName, opts: TrustOptions = {}): Promise<TrustConfig> {
    const policy = opts.allowedTcbStatuses ? { allowedTcbStatuses: opts.allowedTcbStatuses } : undefined;
    if (network === 'localnet' && !opts.rootDerFile) {
        const root = await loadOrCreateDevRoot(opts.devRootDir ?? defaultDataDir());
        const collateral: Collateral = opts.collateralFile
            ? loadCollateralFile(opts.collateralFile)
            : await devCollateral(root);
        return { rootDer: root.rootCertDer, collateral, policy };
    }
    const rootDer = opts.rootDerFile ? fs.readFileSync(opts.rootDerFile) : undefined;
    if (opts.collateralFile) return { rootDer, collateral: loadCollateralFile(opts.collateralFile), policy };
    const pccsUrl = opts.pccsUrl ?? 'https://api.trustedservices.intel.com';
    return {
        rootDer,
        policy,
        collateral: (quote: Buffer) =>
            fetchCollateralForQuote(quote, {
                pccsUrl,
                rootCaCrlUrl: opts.pccsUrl
                    ? undefined
                    : 'https://certificates.trustedservices.intel.com/IntelSGXRootCA.der',
            }),
    };
}

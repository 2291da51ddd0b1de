import { Address, beginCell, Builder, Cell } from '@ton/core';
import { ATTEST_TAG } from './tags';
import { bufferToUint256, signCell, uint256ToBuffer } from './ed25519';

/** TCB status as verifiers report it; the Registry records the number on the Provider. */
export const TCB_STATUS = {
    UpToDate: 0,
    SWHardeningNeeded: 1,
    ConfigurationNeeded: 2,
    ConfigurationAndSWHardeningNeeded: 3,
    OutOfDate: 4,
    OutOfDateConfigurationNeeded: 5,
    Revoked: 6,
} as const;
export type TcbStatusName = keyof typeof TCB_STATUS;

/**
 * The attestation certificate verifiers sign after full DCAP verification off-chain; the Registry checks
 * k signatures over its cell hash on-chain (DESIGN.md "Attestation").
 *
 * TL-B:
 *   attest_v1#c8168b7b network:int32 valid_until:uint32 tcb_status:uint8 quote_hash:uint256
 *     registry:MsgAddressInt provider:MsgAddressInt
 *     keys:^[ed25519_pub:uint256 x25519_pub:uint256 measurement:uint256] = AttestCert;
 *   sig#_ verifier:uint8 signature:bits512 next:(Maybe ^Sig) = Sig;   -- strictly increasing verifier index
 * `provider` is the provider's wallet (the owner of its Provider contract).
 */
export interface AttestCert {
    network: number;
    validUntil: number;
    tcbStatus: number;
    quoteHash: Buffer;
    registry: Address;
    provider: Address;
    ed25519Pub: Buffer;
    x25519Pub: Buffer;
    measurement: Buffer;
}

export function certToCell(c: AttestCert): Cell {
    return beginCell()
        .storeUint(ATTEST_TAG, 32)
        .storeInt(c.network, 32)
        .storeUint(c.validUntil, 32)
        .storeUint(c.tcbStatus, 8)
        .storeUint(bufferToUint256(c.quoteHash), 256)
        .storeAddress(c.registry)
        .storeAddress(c.provider)
        .storeRef(
            beginCell()
                .storeUint(bufferToUint256(c.ed25519Pub), 256)
                .storeUint(bufferToUint256(c.x25519Pub), 256)
                .storeUint(bufferToUint256(c.measurement), 256)
                .endCell(),
        )
        .endCell();
}

export function certFromCell(cell: Cell): AttestCert {
    const s = cell.beginParse();
    const tag = s.loadUint(32);
    if (tag !== ATTEST_TAG) throw new Error(`not an attestation certificate: tag 0x${tag.toString(16)}`);
    const network = s.loadInt(32);
    const validUntil = s.loadUint(32);
    const tcbStatus = s.loadUint(8);
    const quoteHash = uint256ToBuffer(s.loadUintBig(256));
    const registry = s.loadAddress();
    const provider = s.loadAddress();
    const k = s.loadRef().beginParse();
    return {
        network,
        validUntil,
        tcbStatus,
        quoteHash,
        registry,
        provider,
        ed25519Pub: uint256ToBuffer(k.loadUintBig(256)),
        x25519Pub: uint256ToBuffer(k.loadUintBig(256)),
        measurement: uint256ToBuffer(k.loadUintBig(256)),
    };
}

export interface VerifierSignature {
    index: number; // the verifier's slot in the Registry
    signature: Buffer;
}

export function signCert(cert: AttestCert, verifierSecretKey: Buffer): Buffer {
    return signCell(certToCell(cert), verifierSecretKey);
}

/** Builds the signature chain in the order the Registry requires (sorted by verifier index, each once). */
export function signaturesToCell(sigs: VerifierSignature[]): Cell {
    const sorted = [...sigs].sort((a, b) => a.index - b.index);
    let next: Cell | null = null;
    for (let i = sorted.length - 1; i >= 0; i--) {
        const b: Builder = beginCell().storeUint(sorted[i].index, 8).storeBuffer(sorted[i].signature, 64);
        b.storeMaybeRef(next);
        next = b.endCell();
    }
    if (!next) throw new Error('a certificate needs at least one signature');
    return next;
}

/** Raw chain, unsorted: tests use it to build malformed chains (duplicates, wrong order). */
export function rawSignaturesToCell(sigs: VerifierSignature[]): Cell {
    let next: Cell | null = null;
    for (let i = sigs.length - 1; i >= 0; i--) {
        next = beginCell().storeUint(sigs[i].index, 8).storeBuffer(sigs[i].signature, 64).storeMaybeRef(next).endCell();
    }
    if (!next) throw new Error('empty signature chain');
    return next;
}

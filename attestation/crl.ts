/**
 * Revocation checks that @phala/dcap-qvl leaves out (TOOLCHAIN.md "TDX attestation facts"): it looks serials up in
 * whatever CRLs it can parse but never checks who signed them or when, and silently skips CRLs it cannot parse.
 * A stale, forged or garbage CRL would then hide a revoked PCK. Here every CRL must:
 *
 *   - parse (CRL_MALFORMED),
 *   - be signed by the CA it claims to come from, which itself chains to the trusted root (CRL_SIGNATURE /
 *     CRL_ISSUER): the root CA CRL by the trusted root, the PCK CRL by the PCK CA in pck_crl_issuer_chain,
 *     which the trusted root signed;
 *   - be current: thisUpdate <= now <= nextUpdate, nextUpdate present (CRL_STALE);
 *   - be the right CRL: the PCK CRL's issuer is the issuer of the quote's PCK certificate (CRL_ISSUER).
 *
 * Then the quote's PCK certificate must not be in the PCK CRL (PCK_REVOKED), and no certificate the root issued
 * that this verification relies on (the PCK CA, the TCB signing certificates) may be in the root CRL
 * (CERT_REVOKED).
 */
import type { Collateral } from './collateral';
import { AttestationError } from './errors';
import {
    certSignedBy,
    crlSignedBy,
    ParsedCertificate,
    ParsedCrl,
    parseCertificate,
    parseCrl,
    pemToDerList,
} from './x509Parse';

export interface RevocationInput {
    collateral: Collateral;
    trustedRoot: ParsedCertificate;
    now: Date;
    /** The quote's PCK chain: leaf first. */
    pckChain: ParsedCertificate[];
}

function loadCrl(hex: string, name: string): ParsedCrl {
    try {
        return parseCrl(Buffer.from(hex, 'hex'));
    } catch (e) {
        throw new AttestationError('CRL_MALFORMED', `${name} does not parse: ${(e as Error).message}`);
    }
}

function checkFresh(crl: ParsedCrl, name: string, now: Date): void {
    if (crl.thisUpdate.getTime() > now.getTime()) {
        throw new AttestationError(
            'CRL_STALE',
            `${name} thisUpdate ${crl.thisUpdate.toISOString()} is after ${now.toISOString()}`,
        );
    }
    if (!crl.nextUpdate)
        throw new AttestationError('CRL_STALE', `${name} has no nextUpdate, so its freshness cannot be judged`);
    if (crl.nextUpdate.getTime() < now.getTime()) {
        throw new AttestationError(
            'CRL_STALE',
            `${name} expired: nextUpdate ${crl.nextUpdate.toISOString()} is before ${now.toISOString()}`,
        );
    }
}

/** Signature first (any tampered TBS byte is a signature failure), then that the CRL names the CA we expect. */
function checkIssuedBy(crl: ParsedCrl, name: string, issuer: ParsedCertificate): void {
    if (!crlSignedBy(crl, issuer.publicKey)) {
        throw new AttestationError('CRL_SIGNATURE', `${name} is not signed by ${issuer.subjectCn ?? 'its issuer'}`);
    }
    if (!crl.issuerRaw.equals(issuer.subjectRaw)) {
        throw new AttestationError(
            'CRL_ISSUER',
            `${name} names issuer "${crl.issuerCn}", expected "${issuer.subjectCn}"`,
        );
    }
}

function checkValidAt(cert: ParsedCertificate, what: string, now: Date): void {
    if (cert.notBefore.getTime() > now.getTime() || cert.notAfter.getTime() < now.getTime()) {
        throw new AttestationError(
            'CERT_EXPIRED',
            `${what} "${cert.subjectCn}" is valid ${cert.notBefore.toISOString()}..${cert.notAfter.toISOString()}, not at ${now.toISOString()}`,
        );
    }
}

function firstCert(pem: string, what: string): ParsedCertificate {
    const ders = pemToDerList(pem);
    if (ders.length === 0) throw new AttestationError('COLLATERAL_MALFORMED', `${what} holds no certificate`);
    try {
        return parseCertificate(ders[0]);
    } catch (e) {
        throw new AttestationError('COLLATERAL_MALFORMED', `${what}: ${(e as Error).message}`);
    }
}

export function checkRevocation(input: RevocationInput): void {
    const { collateral, trustedRoot, now, pckChain } = input;

    const rootCrl = loadCrl(collateral.root_ca_crl, 'root CA CRL');
    checkIssuedBy(rootCrl, 'root CA CRL', trustedRoot);
    checkFresh(rootCrl, 'root CA CRL', now);

    // The PCK CRL's signer must itself be a CA the trusted root issued, valid now and not revoked.
    const pckCrlCa = firstCert(collateral.pck_crl_issuer_chain, 'pck_crl_issuer_chain');
    if (!pckCrlCa.issuerRaw.equals(trustedRoot.subjectRaw) || !certSignedBy(pckCrlCa.der, trustedRoot.publicKey)) {
        throw new AttestationError(
            'CRL_ISSUER',
            `PCK CRL signer "${pckCrlCa.subjectCn}" is not issued by the trusted root`,
        );
    }
    checkValidAt(pckCrlCa, 'PCK CRL signer', now);

    const pckCrl = loadCrl(collateral.pck_crl, 'PCK CRL');
    checkIssuedBy(pckCrl, 'PCK CRL', pckCrlCa);
    checkFresh(pckCrl, 'PCK CRL', now);

    const leaf = pckChain[0];
    if (!leaf.issuerRaw.equals(pckCrl.issuerRaw)) {
        throw new AttestationError(
            'CRL_ISSUER',
            `PCK CRL is from "${pckCrl.issuerCn}" but the quote's PCK certificate was issued by "${leaf.issuerCn}"`,
        );
    }
    if (pckCrl.revokedSerials.has(leaf.serialHex)) {
        throw new AttestationError(
            'PCK_REVOKED',
            `PCK certificate serial ${leaf.serialHex} is revoked by ${pckCrl.issuerCn}`,
        );
    }

    const rootIssued: Array<[ParsedCertificate, string]> = [
        [pckCrlCa, 'PCK CRL signer'],
        [firstCert(collateral.tcb_info_issuer_chain, 'tcb_info_issuer_chain'), 'TCB info signer'],
        [firstCert(collateral.qe_identity_issuer_chain, 'qe_identity_issuer_chain'), 'QE identity signer'],
        ...pckChain.slice(1).map((c): [ParsedCertificate, string] => [c, 'PCK chain CA']),
    ];
    for (const [cert, what] of rootIssued) {
        if (cert.issuerRaw.equals(trustedRoot.subjectRaw) && rootCrl.revokedSerials.has(cert.serialHex)) {
            throw new AttestationError(
                'CERT_REVOKED',
                `${what} "${cert.subjectCn}" (serial ${cert.serialHex}) is revoked by the root CA CRL`,
            );
        }
    }
}

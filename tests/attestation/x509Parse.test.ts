/**
 * Our DER / CRL / certificate reading, cross-checked against @peculiar/x509 on Intel's real CRLs and certificates.
 */
import { decodeOid, decodeOne, encodeOid, encodeUInt, readNode } from '../../attestation/der';
import { x509 } from '../../attestation/x509Setup';
import { crlSignedBy, parseCertificate, parseCrl, pemToDerList } from '../../attestation/x509Parse';
import { sampleCollateral } from './fixtures';

describe('x509Parse on Intel collateral', () => {
    const c = sampleCollateral();

    it('reads the PCK CRL like @peculiar/x509 does and checks its signature by the PCK Platform CA', () => {
        const der = Buffer.from(c.pck_crl, 'hex');
        const ours = parseCrl(der);
        const ref = new x509.X509Crl(der);
        expect(ours.issuerCn).toBe('Intel SGX PCK Platform CA');
        expect(ours.thisUpdate.toISOString()).toBe('2025-06-19T10:00:35.000Z');
        expect(ours.nextUpdate?.getTime()).toBe(ref.nextUpdate?.getTime());
        expect(ours.revokedSerials.size).toBe(ref.entries.length);
        expect(ours.revokedSerials.has('6FC34E5023E728923435D61AA4B83C618166AD35')).toBe(true);
        for (const e of ref.entries)
            expect(ours.revokedSerials.has(e.serialNumber.toUpperCase().replace(/^(00)+/, ''))).toBe(true);
        const [pckCa, root] = pemToDerList(c.pck_crl_issuer_chain).map((d) => parseCertificate(d));
        expect(crlSignedBy(ours, pckCa.publicKey)).toBe(true);
        expect(crlSignedBy(ours, root.publicKey)).toBe(false);
        expect(ours.issuerRaw.equals(pckCa.subjectRaw)).toBe(true);
    });

    it('reads the root CA CRL (no entries) and its signature by the root', () => {
        const crl = parseCrl(Buffer.from(c.root_ca_crl, 'hex'));
        const root = parseCertificate(pemToDerList(c.pck_crl_issuer_chain)[1]);
        expect(crl.revokedSerials.size).toBe(0);
        expect(crl.nextUpdate?.toISOString()).toBe('2026-04-03T11:21:57.000Z');
        expect(crlSignedBy(crl, root.publicKey)).toBe(true);
        expect(root.serialHex).toBe('22650CD65A9D3489F383B49552BF501B392706AC');
        expect(root.notAfter.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    });
});

describe('der', () => {
    it('round-trips OIDs and integers', () => {
        for (const oid of ['1.2.840.113741.1.13.1.2.18', '2.5.29.19', '1.2.840.10045.4.3.2']) {
            expect(decodeOid(decodeOne(encodeOid(oid)).content)).toBe(oid);
        }
        expect(encodeUInt(0).toString('hex')).toBe('020100');
        expect(encodeUInt(128).toString('hex')).toBe('02020080');
        expect(encodeUInt(11).toString('hex')).toBe('02010b');
    });

    it('refuses truncated, overlong and non-minimal encodings', () => {
        expect(() => readNode(Buffer.from('3005020101', 'hex'))).toThrow(/runs past the end/);
        expect(() => decodeOne(Buffer.from('0201010000', 'hex'))).toThrow(/trailing bytes/);
        expect(() => readNode(Buffer.from('30810100', 'hex'))).toThrow(/non-minimal/);
        expect(() => readNode(Buffer.from('30', 'hex'))).toThrow(/truncated/);
    });
});
